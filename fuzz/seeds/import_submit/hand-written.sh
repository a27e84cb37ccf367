spark-submit --master k8s://https://10.0.0.1:6443 --deploy-mode cluster --name etl \
  --class com.example.Main --conf spark.kubernetes.namespace=data \
  --conf spark.kubernetes.container.image=registry.example.com/etl:1.0 \
  --conf spark.executor.instances=4 --executor-memory 4g --conf spark.kubernetes.driver.label.team=data \
  --conf spark.sql.shuffle.partitions=200 --jars local:///a.jar,local:///b.jar \
  --conf "spark.dynamicAllocation.enabled=true" --num-executors 3 --total-executor-cores 8 \
  --py-files s3a://b/x.zip --files a.conf --packages org.apache:x:1.0 --properties-file p.conf \
  local:///opt/app.jar --date 2026-01-01 "$(date)" '<placeholder arg>' ${VAR}
