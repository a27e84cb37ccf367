# Cluster-mode run of `daily-revenue` (environment dev, namespace spark-dev).
# Start `kubectl proxy` first (it listens on 127.0.0.1:8001), or pass --master k8s://https://HOST:PORT.
# The driver runs as `daily-revenue-spark`: apply the rendered ServiceAccount, Role and RoleBinding first.
# Not carried over: the restricted security contexts of driver and executors.
spark-submit \
  --master k8s://http://127.0.0.1:8001 \
  --deploy-mode cluster \
  --name daily-revenue \
  --class com.example.reports.DailyRevenue \
  --driver-memory 4g \
  --driver-java-options -XX:+UseG1GC \
  --conf 'spark.kubernetes.namespace=spark-dev' \
  --conf 'spark.driver.cores=1' \
  --conf 'spark.kubernetes.authenticate.driver.serviceAccountName=daily-revenue-spark' \
  --conf 'spark.kubernetes.driver.label.app.kubernetes.io/name=daily-revenue' \
  --conf 'spark.kubernetes.driver.label.sparkc.io/environment=dev' \
  --conf 'spark.kubernetes.driver.label.sparkc.io/job=daily-revenue' \
  --conf 'spark.kubernetes.driver.label.team=finance' \
  --conf 'spark.kubernetes.container.image=registry.example.com/data/spark-jobs:1.4.2' \
  --conf 'spark.kubernetes.container.image.pullPolicy=IfNotPresent' \
  --conf 'spark.kubernetes.container.image.pullSecrets=regcred' \
  --conf 'spark.executor.instances=1' \
  --conf 'spark.executor.cores=2' \
  --conf 'spark.executor.memory=4g' \
  --conf 'spark.executor.memoryOverheadFactor=0.1' \
  --conf 'spark.kubernetes.executor.label.app.kubernetes.io/name=daily-revenue' \
  --conf 'spark.kubernetes.executor.label.sparkc.io/environment=dev' \
  --conf 'spark.kubernetes.executor.label.sparkc.io/job=daily-revenue' \
  --conf 'spark.kubernetes.executor.label.team=finance' \
  local:///opt/app/reports/reports-assembly-2.3.0.jar \
  --output s3a://reports/revenue
