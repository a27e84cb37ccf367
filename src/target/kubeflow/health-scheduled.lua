-- Argo CD health of a Kubeflow ScheduledSparkApplication (sparkoperator.k8s.io/v1beta2),
-- written by sparkc: Argo CD ships a check for SparkApplication, none for this kind.
-- The operator sets status.scheduleState ("", Validating, Scheduled, FailedValidation) and
-- keeps the names of its latest runs in pastSuccessfulRunNames / pastFailedRunNames.
local hs = {}
if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "The schedule is suspended"
  return hs
end
local status = obj.status
if status == nil or status.scheduleState == nil or status.scheduleState == "" then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to validate the schedule"
  return hs
end
local state = status.scheduleState
if state == "FailedValidation" then
  hs.status = "Degraded"
  if status.reason ~= nil and status.reason ~= "" then
    hs.message = status.reason
  else
    hs.message = "The schedule failed validation"
  end
  return hs
end
if state == "Scheduled" then
  local last = status.lastRunName
  if last ~= nil and last ~= "" and status.pastFailedRunNames ~= nil then
    for _, name in ipairs(status.pastFailedRunNames) do
      if name == last then
        hs.status = "Degraded"
        hs.message = "The last run failed: SparkApplication " .. last
        return hs
      end
    end
  end
  hs.status = "Healthy"
  if status.nextRun ~= nil and status.nextRun ~= "" then
    hs.message = "Next run at " .. status.nextRun
  else
    hs.message = "Scheduled"
  end
  return hs
end
hs.status = "Progressing"
hs.message = "Schedule state " .. state
return hs
