{{/*
Names and labels.
*/}}
{{- define "retail.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "retail.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "retail.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "retail.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: stream-retail-etl
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component: dict "root" $ "component" "serve" */}}
{{- define "retail.selectorLabels" -}}
app.kubernetes.io/name: {{ include "retail.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
The pipeline's processes, as stack/pipeline.ts starts them for `make up`: the CLI arguments, the
port of /metrics, /healthz and /readyz and the variable that sets it, the input topics (their
partitions bound the replicas), the lag series KEDA scales on, and the servers each one talks to
(the NetworkPolicies admit exactly these). `key` is the entry under .Values.processes.
*/}}
{{- define "retail.processTable" -}}
producer:
  component: producer
  args: [producer, run]
  port: 9401
  portEnv: PRODUCER_METRICS_PORT
  inputs: []
  needs: [kafka, registry]
serve:
  component: serve
  args: [serve]
  port: 8080
  portEnv: PIPELINE_HTTP_PORT
  inputs: []
  needs: [kafka, registry, postgres, prometheus]
sinkPostgres:
  component: sink-postgres
  args: [sink, postgres]
  port: 9402
  portEnv: SINK_POSTGRES_METRICS_PORT
  inputs: [sales]
  group: retail-sink-postgres
  lagMetric: retail_sink_consumer_lag_messages
  needs: [kafka, registry, postgres]
sinkClickhouse:
  component: sink-clickhouse
  args: [sink, clickhouse]
  port: 9403
  portEnv: SINK_CLICKHOUSE_METRICS_PORT
  inputs: [sales]
  group: retail-sink-clickhouse
  lagMetric: retail_sink_consumer_lag_messages
  needs: [kafka, registry, clickhouse]
  clickhouse: true
processors:
  component: processors
  args: [processor, all]
  port: 9404
  portEnv: PROCESSOR_METRICS_PORT
  inputs: [sales]
  group: "{{ .Values.topics.processorInternal.groupPrefix }}-topology-all"
  lagMetric: retail_processor_consumer_lag_messages
  needs: [kafka, registry]
sinkAggregates:
  component: sink-aggregates
  args: [sink, aggregates]
  port: 9405
  portEnv: SINK_AGGREGATES_METRICS_PORT
  inputs: [salesHourly, topSkus, storeRolling, salesAnomalies]
  group: retail-sink-aggregates-postgres
  lagMetric: retail_sink_consumer_lag_messages
  needs: [kafka, registry, postgres]
sinkAggregatesClickhouse:
  component: sink-aggregates-clickhouse
  args: [sink, aggregates, --target, clickhouse]
  port: 9406
  portEnv: SINK_AGGREGATES_METRICS_PORT
  inputs: [salesHourly, topSkus, storeRolling, salesAnomalies]
  group: retail-sink-aggregates-clickhouse
  lagMetric: retail_sink_consumer_lag_messages
  needs: [kafka, registry, clickhouse]
  clickhouse: true
{{- end -}}

{{/* The process table as a dict (group names rendered with the values). */}}
{{- define "retail.processes" -}}
{{- tpl (include "retail.processTable" .) . -}}
{{- end -}}

{{/* Whether a process is rendered: dict "root" $ "key" "sinkClickhouse" "p" <table entry> */}}
{{- define "retail.processEnabled" -}}
{{- $v := index .root.Values.processes .key -}}
{{- if and $v.enabled (or (not .p.clickhouse) .root.Values.clickhouse.enabled) -}}true{{- end -}}
{{- end -}}

{{/* Most partitions among a process's input topics (0 for producers). */}}
{{- define "retail.maxPartitions" -}}
{{- $max := 0 -}}
{{- range .p.inputs -}}
{{- $n := int (index $.root.Values.topics . "partitions") -}}
{{- if gt $n $max -}}{{- $max = $n -}}{{- end -}}
{{- end -}}
{{- $max -}}
{{- end -}}

{{/* Kafka bootstrap address the processes use. */}}
{{- define "retail.kafkaBootstrap" -}}
{{- if .Values.strimzi.enabled -}}
{{- printf "%s-kafka-kafka-bootstrap:9092" (include "retail.fullname" .) -}}
{{- else -}}
{{- required "kafka.bootstrapServers is required when strimzi.enabled is false" .Values.kafka.bootstrapServers -}}
{{- end -}}
{{- end -}}

{{- define "retail.kafkaCluster" -}}
{{- printf "%s-kafka" (include "retail.fullname" .) -}}
{{- end -}}

{{- define "retail.registryUrl" -}}
{{- if .Values.schemaRegistry.inCluster.enabled -}}
{{- printf "http://%s-schema-registry:8080/apis/ccompat/v7" (include "retail.fullname" .) -}}
{{- else -}}
{{- required "schemaRegistry.url is required when schemaRegistry.inCluster.enabled is false" .Values.schemaRegistry.url -}}
{{- end -}}
{{- end -}}

{{/* Kafka user and the Secret holding its password: dict "root" $ "key" "sinkPostgres" "p" <entry> */}}
{{- define "retail.kafkaUser" -}}
{{- $u := default dict (index .root.Values.kafka.sasl.users .key) -}}
{{- $name := default (printf "%s-%s" (include "retail.fullname" .root) .p.component) $u.username -}}
username: {{ $name }}
secret: {{ default $name $u.existingSecret }}
passwordKey: {{ default "password" $u.passwordKey }}
{{- end -}}

{{- define "retail.postgresHost" -}}
{{- if .Values.postgres.inCluster.enabled -}}
{{- printf "%s-postgres" (include "retail.fullname" .) -}}
{{- else -}}
{{- required "postgres.host is required when postgres.inCluster.enabled is false" .Values.postgres.host -}}
{{- end -}}
{{- end -}}

{{/* Secret and key holding a process's DATABASE_URL: dict "root" $ "key" "serve" */}}
{{- define "retail.postgresSecret" -}}
{{- $role := index .root.Values.postgres.processRoles .key -}}
{{- if and $role $role.existingSecret -}}
{{- $role.existingSecret -}}
{{- else if $role -}}
{{- printf "%s-pg-%s" (include "retail.fullname" .root) (kebabcase .key) -}}
{{- else if .root.Values.postgres.auth.existingSecret -}}
{{- .root.Values.postgres.auth.existingSecret -}}
{{- else -}}
{{- printf "%s-pg-owner" (include "retail.fullname" .root) -}}
{{- end -}}
{{- end -}}

{{/* A password kept across upgrades: dict "root" $ "secret" name "key" key "given" value */}}
{{- define "retail.keptPassword" -}}
{{- if .given -}}
{{- .given -}}
{{- else -}}
{{- $old := lookup "v1" "Secret" .root.Release.Namespace .secret -}}
{{- if and $old $old.data (hasKey $old.data .key) -}}
{{- index $old.data .key | b64dec -}}
{{- else -}}
{{- randAlphaNum 32 -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "retail.postgresUrl" -}}
{{- $r := . -}}
{{- printf "postgres://%s:%s@%s:%v/%s?sslmode=%s" (urlquery $r.user) (urlquery $r.password) $r.host $r.port $r.database $r.sslMode -}}
{{- end -}}

{{/* The pod template's scheduling fields of one process entry. */}}
{{- define "retail.scheduling" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Topic names by values key (lib/contracts/topics.ts). */}}
{{- define "retail.topicNames" -}}
sales: retail.sales.v1
dlq: retail.sales.dlq
late: retail.sales.late
salesHourly: retail.agg.sales-hourly.v1
topSkus: retail.agg.top-skus.v1
storeRolling: retail.agg.store-rolling-1h.v1
salesAnomalies: retail.agg.sales-anomalies.v1
control: retail.control
{{- end -}}

{{/* The Secret holding the brokers' CA certificate (Strimzi's cluster CA unless named). */}}
{{- define "retail.kafkaCaSecret" -}}
{{- if .Values.kafka.caSecret.name -}}
{{- .Values.kafka.caSecret.name -}}
{{- else if .Values.strimzi.enabled -}}
{{- printf "%s-cluster-ca-cert" (include "retail.kafkaCluster" .) -}}
{{- else -}}
{{- fail "kafka.caSecret.name is required for an external Kafka with securityProtocol ssl or sasl_ssl" -}}
{{- end -}}
{{- end -}}
