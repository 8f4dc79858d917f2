{{/* Name of everything in the release: the release name, with "tend" unless it already says so. */}}
{{- define "tend.fullname" -}}
{{- if contains "tend" .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-tend" .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "tend.labels" -}}
app.kubernetes.io/part-of: tend
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Labels of one service's objects: ctx = (dict "root" $ "name" "health"). */}}
{{- define "tend.serviceLabels" -}}
{{ include "tend.labels" .root }}
app.kubernetes.io/name: {{ .name }}
{{- end -}}

{{/* Selector of one service's pods: ctx = (dict "root" $ "name" "health"). */}}
{{- define "tend.selector" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "tend.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "tend.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "tend.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}
{{- end -}}

{{/* A service's values merged over `defaults`: ctx = (dict "root" $ "name" "health"). */}}
{{- define "tend.service" -}}
{{- $svc := index .root.Values.services .name -}}
{{- toYaml (mergeOverwrite (deepCopy .root.Values.defaults) (deepCopy $svc)) -}}
{{- end -}}

{{/* The Secret holding a service's credentials (ctx as above), empty when it has none. */}}
{{- define "tend.secretName" -}}
{{- $svc := index .root.Values.services .name -}}
{{- if $svc.secret.existingSecret -}}
{{- $svc.secret.existingSecret -}}
{{- else if $svc.secret.values -}}
{{- printf "%s-%s" (include "tend.fullname" .root) .name -}}
{{- end -}}
{{- end -}}

{{/*
Who calls whom over gRPC, as the code does (apps/server/src/services.ts): the gateway calls every
service, conversation calls health, external and notification, notification calls health,
external calls health and notification. The NetworkPolicies open exactly these; CI reads the
calls from services.ts and fails when this list differs (.ci/deploy/chart_facts.py).
*/}}
{{- define "tend.callers" -}}
voice: [gateway]
conversation: [gateway]
health: [gateway, conversation, notification, external]
notification: [gateway, conversation, external]
external: [gateway, conversation]
{{- end -}}
