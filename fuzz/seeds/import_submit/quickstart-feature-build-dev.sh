# Cluster-mode run of `feature-build` (environment dev, namespace spark-dev).
# Start `kubectl proxy` first (it listens on 127.0.0.1:8001), or pass --master k8s://https://HOST:PORT.
# The driver runs as `feature-build-spark`: apply the rendered ServiceAccount, Role and RoleBinding first.
# Not carried over: tolerations (pod settings: use a pod template file, or the rendered manifests).
# Not carried over: the restricted security contexts of driver and executors.
spark-submit \
  --master k8s://http://127.0.0.1:8001 \
  --deploy-mode cluster \
  --name feature-build \
  --driver-memory 2g \
  --conf 'spark.kubernetes.namespace=spark-dev' \
  --conf 'spark.driver.cores=1' \
  --conf 'spark.kubernetes.authenticate.driver.serviceAccountName=feature-build-spark' \
  --conf 'spark.kubernetes.driver.label.app.kubernetes.io/name=feature-build' \
  --conf 'spark.kubernetes.driver.label.sparkc.io/environment=dev' \
  --conf 'spark.kubernetes.driver.label.sparkc.io/job=feature-build' \
  --conf 'spark.kubernetes.driver.label.team=ml' \
  --conf 'spark.kubernetes.container.image=registry.example.com/data/spark-jobs:1.4.2' \
  --conf 'spark.kubernetes.container.image.pullPolicy=IfNotPresent' \
  --conf 'spark.kubernetes.container.image.pullSecrets=regcred' \
  --conf 'spark.executor.cores=2' \
  --conf 'spark.executor.memory=4g' \
  --conf 'spark.executor.memoryOverhead=1g' \
  --conf 'spark.kubernetes.executor.label.app.kubernetes.io/name=feature-build' \
  --conf 'spark.kubernetes.executor.label.sparkc.io/environment=dev' \
  --conf 'spark.kubernetes.executor.label.sparkc.io/job=feature-build' \
  --conf 'spark.kubernetes.executor.label.team=ml' \
  --conf 'spark.dynamicAllocation.enabled=true' \
  --conf 'spark.dynamicAllocation.shuffleTracking.enabled=true' \
  --conf 'spark.dynamicAllocation.initialExecutors=2' \
  --conf 'spark.dynamicAllocation.minExecutors=1' \
  --conf 'spark.dynamicAllocation.maxExecutors=4' \
  --conf 'spark.dynamicAllocation.shuffleTracking.timeout=600000ms' \
  local:///opt/app/ml/features.py
