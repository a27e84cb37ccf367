# Cluster-mode run of `hourly-ingest` (environment prod, namespace spark-prod).
# Start `kubectl proxy` first (it listens on 127.0.0.1:8001), or pass --master k8s://https://HOST:PORT.
# The driver runs as `hourly-ingest-spark`: apply the rendered ServiceAccount, Role and RoleBinding first.
# Not carried over: the restricted security contexts of driver and executors.
spark-submit \
  --master k8s://http://127.0.0.1:8001 \
  --deploy-mode cluster \
  --name hourly-ingest \
  --driver-memory 2g \
  --conf 'spark.kubernetes.namespace=spark-prod' \
  --conf 'spark.driver.cores=1' \
  --conf 'spark.kubernetes.authenticate.driver.serviceAccountName=hourly-ingest-spark' \
  --conf 'spark.kubernetes.driver.label.app.kubernetes.io/name=hourly-ingest' \
  --conf 'spark.kubernetes.driver.label.sparkc.io/environment=prod' \
  --conf 'spark.kubernetes.driver.label.sparkc.io/job=hourly-ingest' \
  --conf 'spark.kubernetes.driver.label.team=ingest' \
  --conf 'spark.kubernetes.container.image=registry.example.com/data/spark-jobs:2.0.1' \
  --conf 'spark.kubernetes.container.image.pullPolicy=IfNotPresent' \
  --conf 'spark.executor.instances=2' \
  --conf 'spark.executor.cores=2' \
  --conf 'spark.executor.memory=4g' \
  --conf 'spark.executor.memoryOverheadFactor=0.4' \
  --conf 'spark.kubernetes.executor.label.app.kubernetes.io/name=hourly-ingest' \
  --conf 'spark.kubernetes.executor.label.sparkc.io/environment=prod' \
  --conf 'spark.kubernetes.executor.label.sparkc.io/job=hourly-ingest' \
  --conf 'spark.kubernetes.executor.label.team=ingest' \
  local:///opt/app/ingest/main.py
