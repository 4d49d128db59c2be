{{- define "v1sync.name" -}}
{{- printf "%s-v1sync" .Release.Name | trunc 53 | trimSuffix "-" -}}
{{- end -}}

{{- define "v1sync.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "v1sync.labels" -}}
app.kubernetes.io/name: v1sync
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Settings shared by the stage pods and the provision job. */}}
{{- define "v1sync.env" -}}
- name: V1SYNC_NATS_URL
  value: {{ .Values.nats.url | quote }}
- name: V1SYNC_SERVER_SYNC_INTERVAL
  value: {{ .Values.nats.serverSyncInterval | quote }}
- name: V1SYNC_REPLICAS
  value: {{ .Values.topology.replicas | quote }}
- name: V1SYNC_PARTITIONS
  value: {{ .Values.topology.partitions | quote }}
- name: V1SYNC_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- if .Values.nats.credsSecret }}
- name: V1SYNC_NATS_CREDS
  value: /var/run/secrets/v1sync/nats/{{ .Values.nats.credsKey }}
{{- end }}
{{- with .Values.env }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "v1sync.credsVolume" -}}
{{- if .Values.nats.credsSecret }}
volumes:
  - name: nats-creds
    secret:
      secretName: {{ .Values.nats.credsSecret }}
{{- end }}
{{- end -}}

{{- define "v1sync.credsMount" -}}
{{- if .Values.nats.credsSecret }}
volumeMounts:
  - name: nats-creds
    mountPath: /var/run/secrets/v1sync/nats
    readOnly: true
{{- end }}
{{- end -}}
