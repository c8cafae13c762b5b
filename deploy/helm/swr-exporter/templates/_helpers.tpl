{{/* The release name, or <release>-swr-exporter when it does not already say swr-exporter. */}}
{{- define "swr-exporter.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "swr-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The recommended labels; component names the part of the application. */}}
{{- define "swr-exporter.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "swr-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: swr-exporter
{{- end -}}

{{- define "swr-exporter.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{- define "swr-exporter.tokenDir" -}}/var/run/secrets/swr-exporter/workload-identity{{- end -}}

{{/*
The configuration as the exporter reads it: `config` (a mapping, or a YAML string parsed here), with
shard: and auth: added as sharding and workloadIdentity ask. Empty with existingConfigMap.
*/}}
{{- define "swr-exporter.config" -}}
{{- if not .Values.existingConfigMap -}}
{{- $config := .Values.config -}}
{{- if and (kindIs "string" $config) (not (or .Values.sharding.enabled .Values.workloadIdentity.enabled)) -}}
{{- /* Nothing to add: the string as it is, comments included, once known to be YAML. */ -}}
{{- if hasKey (fromYaml $config) "Error" -}}
{{- fail (printf "config: not valid YAML: %s" (get (fromYaml $config) "Error")) -}}
{{- end -}}
{{- $config | trim -}}
{{- else -}}
{{- if kindIs "string" $config -}}
{{- $config = fromYaml $config -}}
{{- if hasKey $config "Error" -}}
{{- fail (printf "config: not valid YAML: %s" (get $config "Error")) -}}
{{- end -}}
{{- else if kindIs "map" $config -}}
{{- $config = deepCopy $config -}}
{{- else -}}
{{- fail "config: give the exporter's configuration (a mapping or a YAML string), or existingConfigMap" -}}
{{- end -}}
{{- if .Values.sharding.enabled -}}
{{- $_ := set $config "shard" (dict "index" "auto" "total" (int .Values.sharding.shards)) -}}
{{- end -}}
{{- if .Values.workloadIdentity.enabled -}}
{{- $auth := dict "type" "workload_identity" "idp_id" .Values.workloadIdentity.idpId "id_token_file" (printf "%s/token" (include "swr-exporter.tokenDir" .)) -}}
{{- if hasKey $config "targets" -}}
{{- range $config.targets -}}
{{- if not (hasKey . "auth") -}}
{{- $_ := set . "auth" (deepCopy $auth) -}}
{{- end -}}
{{- end -}}
{{- else -}}
{{- $_ := set $config "auth" $auth -}}
{{- end -}}
{{- end -}}
{{- toYaml $config -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The ConfigMap the pods mount the configuration from. */}}
{{- define "swr-exporter.configMapName" -}}
{{- .Values.existingConfigMap | default (printf "%s-config" (include "swr-exporter.fullname" .)) -}}
{{- end -}}

{{/*
What Prometheus scrapes, one entry per endpoint: /metrics, then with `targets:` /probe?target=NAME per
target. Each with its relabelings: job swr-exporter (the rules and dashboards look for it), instance
the target's name, region as a target label where the configuration names it.
*/}}
{{- define "swr-exporter.endpoints" -}}
{{- $root := index . 0 -}}
{{- $monitor := index . 1 -}}
{{- $config := fromYaml (include "swr-exporter.config" $root) -}}
{{- $targets := $config.targets | default list -}}
{{- $endpoints := list (dict "path" "/metrics" "region" (and (not $targets) $config.region)) -}}
{{- range $targets -}}
{{- $endpoints = append $endpoints (dict "path" "/probe" "target" .name "region" .region) -}}
{{- end -}}
{{- range $endpoints }}
- port: http-metrics
  path: {{ .path }}
  {{- with .target }}
  params:
    target:
      - {{ . | quote }}
  {{- end }}
  interval: {{ $monitor.interval }}
  scrapeTimeout: {{ $monitor.scrapeTimeout }}
  {{- if $root.Values.webConfig.enabled }}
  scheme: https
  {{- end }}
  {{- with $monitor.tlsConfig }}
  tlsConfig:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $monitor.basicAuth }}
  basicAuth:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  relabelings:
    - action: replace
      targetLabel: job
      replacement: swr-exporter
    {{- with .target }}
    - action: replace
      targetLabel: instance
      replacement: {{ . | quote }}
    {{- end }}
    {{- with .region }}
    - action: replace
      targetLabel: region
      replacement: {{ . | quote }}
    {{- end }}
{{- end }}
{{- end -}}

{{/*
"true" when a credential comes from the metadata service (auth.type metadata, at the top or in a
target), or when the configuration is an existing ConfigMap the chart cannot read: only then may the
pods reach 169.254.169.254.
*/}}
{{- define "swr-exporter.usesMetadata" -}}
{{- if .Values.existingConfigMap -}}
true
{{- else -}}
{{- $config := fromYaml (include "swr-exporter.config" .) -}}
{{- $types := list (dig "auth" "type" "" $config) -}}
{{- range ($config.targets | default list) -}}
{{- $types = append $types (dig "auth" "type" "" .) -}}
{{- end -}}
{{- if has "metadata" $types -}}true{{- end -}}
{{- end -}}
{{- end -}}
