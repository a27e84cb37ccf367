-- Argo CD health of an Apache Spark Kubernetes Operator SparkApplication
-- (spark.apache.org/v1), written by sparkc: Argo CD ships no check for this group.
-- The operator reports status.currentState.currentStateSummary (ApplicationStateSummary)
-- and keeps every state in status.stateTransitionHistory, keyed by a rising number.
local hs = {}
local status = obj.status
if status == nil or status.currentState == nil or status.currentState.currentStateSummary == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to submit the application"
  return hs
end

local failures = {
  Failed = true, SchedulingFailure = true, DriverEvicted = true, DriverStartTimedOut = true,
  ExecutorsStartTimedOut = true, DriverReadyTimedOut = true,
  RunningWithBelowThresholdExecutors = true,
}
local released = { ResourceReleased = true, TerminatedWithoutReleaseResources = true }

local function describe(entry)
  if entry.message ~= nil and entry.message ~= "" then
    return entry.currentStateSummary .. ": " .. entry.message
  end
  return entry.currentStateSummary
end

local current = status.currentState
local state = current.currentStateSummary
if released[state] then
  -- Stopped: the outcome is the last state before the resources were released.
  local newest, outcome = -1, nil
  for id, entry in pairs(status.stateTransitionHistory or {}) do
    local n = tonumber(id)
    local s = entry.currentStateSummary
    if n ~= nil and n > newest and s ~= nil and not released[s] then
      newest, outcome = n, entry
    end
  end
  if outcome ~= nil and failures[outcome.currentStateSummary] then
    hs.status = "Degraded"
    hs.message = describe(outcome)
  else
    hs.status = "Healthy"
    if outcome ~= nil then
      hs.message = describe(outcome) .. " (stopped: " .. state .. ")"
    else
      hs.message = "Stopped: " .. state
    end
  end
  return hs
end
if failures[state] then
  hs.status = "Degraded"
elseif state == "RunningHealthy" or state == "RunningWithPartialCapacity" or state == "Succeeded" then
  hs.status = "Healthy"
else
  -- Starting (Submitted, ScheduledToRestart, Driver*, InitializedBelowThresholdExecutors),
  -- or a state this script does not know yet.
  hs.status = "Progressing"
end
hs.message = describe(current)
return hs
