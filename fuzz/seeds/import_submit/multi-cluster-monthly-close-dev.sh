# Cluster-mode run of `monthly-close` (environment dev, namespace spark-dev).
# Start `kubectl proxy` first (it listens on 127.0.0.1:8001), or pass --master k8s://https://HOST:PORT.
# The driver runs as `monthly-close-spark`: apply the rendered ServiceAccount, Role and RoleBinding first.
# Not carried over: the restricted security contexts of driver and executors.
spark-submit \
  --master k8s://http://127.0.0.1:8001 \
  --deploy-mode cluster \
  --name monthly-close \
  --class com.example.finance.MonthlyClose \
  --driver-memory 2g \
  --conf 'spark.kubernetes.namespace=spark-dev' \
  --conf 'spark.driver.cores=1' \
  --conf 'spark.kubernetes.authenticate.driver.serviceAccountName=monthly-close-spark' \
  --conf 'spark.kubernetes.driver.label.app.kubernetes.io/name=monthly-close' \
  --conf 'spark.kubernetes.driver.label.sparkc.io/environment=dev' \
  --conf 'spark.kubernetes.driver.label.sparkc.io/job=monthly-close' \
  --conf 'spark.kubernetes.driver.label.team=finance' \
  --conf 'spark.kubernetes.container.image=registry.example.com/data/spark-jobs:2.0.1' \
  --conf 'spark.kubernetes.container.image.pullPolicy=IfNotPresent' \
  --conf 'spark.executor.instances=1' \
  --conf 'spark.executor.cores=2' \
  --conf 'spark.executor.memory=4g' \
  --conf 'spark.executor.memoryOverheadFactor=0.1' \
  --conf 'spark.kubernetes.executor.label.app.kubernetes.io/name=monthly-close' \
  --conf 'spark.kubernetes.executor.label.sparkc.io/environment=dev' \
  --conf 'spark.kubernetes.executor.label.sparkc.io/job=monthly-close' \
  --conf 'spark.kubernetes.executor.label.team=finance' \
  local:///opt/app/close.jar
