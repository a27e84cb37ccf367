# Cluster-mode run of `nightly-etl` (environment dev, namespace spark-dev).
# Start `kubectl proxy` first (it listens on 127.0.0.1:8001), or pass --master k8s://https://HOST:PORT.
# The driver runs as `nightly-etl-spark`: apply the rendered ServiceAccount, Role and RoleBinding first.
# Not carried over: env and envFrom (pod settings: use a pod template file, or the rendered manifests).
# Not carried over: the restricted security contexts of driver and executors.
spark-submit \
  --master k8s://http://127.0.0.1:8001 \
  --deploy-mode cluster \
  --name nightly-etl \
  --driver-memory 2g \
  --py-files local:///opt/app/etl/lib.zip \
  --conf 'spark.kubernetes.namespace=spark-dev' \
  --conf 'spark.driver.cores=1' \
  --conf 'spark.kubernetes.authenticate.driver.serviceAccountName=nightly-etl-spark' \
  --conf 'spark.kubernetes.driver.label.app.kubernetes.io/name=nightly-etl' \
  --conf 'spark.kubernetes.driver.label.sparkc.io/environment=dev' \
  --conf 'spark.kubernetes.driver.label.sparkc.io/job=nightly-etl' \
  --conf 'spark.kubernetes.driver.label.team=analytics' \
  --conf 'spark.kubernetes.container.image=registry.example.com/data/spark-jobs:1.4.2' \
  --conf 'spark.kubernetes.container.image.pullPolicy=IfNotPresent' \
  --conf 'spark.kubernetes.container.image.pullSecrets=regcred' \
  --conf 'spark.executor.instances=1' \
  --conf 'spark.executor.cores=2' \
  --conf 'spark.executor.memory=4g' \
  --conf 'spark.executor.memoryOverheadFactor=0.4' \
  --conf 'spark.kubernetes.executor.label.app.kubernetes.io/name=nightly-etl' \
  --conf 'spark.kubernetes.executor.label.sparkc.io/environment=dev' \
  --conf 'spark.kubernetes.executor.label.sparkc.io/job=nightly-etl' \
  --conf 'spark.kubernetes.executor.label.team=analytics' \
  --conf 'spark.hadoop.fs.s3a.aws.credentials.provider=com.amazonaws.auth.EnvironmentVariableCredentialsProvider' \
  --conf 'spark.hadoop.fs.s3a.endpoint=http://minio.storage:9000' \
  --conf 'spark.sql.shuffle.partitions=400' \
  local:///opt/app/etl/main.py \
  --date 2026-01-01
