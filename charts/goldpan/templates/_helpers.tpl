{{- define "goldpan.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The labels that pick the operator's pods: the Deployment's selector and the Service's. */}}
{{- define "goldpan.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "goldpan.labels" -}}
{{ include "goldpan.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "goldpan.serviceAccountName" -}}
{{- default (include "goldpan.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/*
The operator's permissions on the namespaces it watches, written once: a ClusterRole uses them
when it watches all namespaces, one Role per namespace otherwise. Nothing on Secrets: the workers
authenticate with their own projected service-account tokens (TokenReview, in goldpan-auth). Its
informers list only what it labelled (app.kubernetes.io/managed-by=goldpan-operator); pods get is
for the progress endpoint on a replica whose cache lacks the pod; events list tells why a pod waits
for its volumes.
*/}}
{{- define "goldpan.rules" -}}
- apiGroups: [goldpan.dev]
  resources: [distillationjobs]
  verbs: [get, list, watch, delete]
- apiGroups: [goldpan.dev]
  resources: [distillationjobs/status]
  verbs: [patch]
- apiGroups: [batch]
  resources: [jobs]
  verbs: [list, watch, create, patch]
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [configmaps]
  verbs: [list, watch, create, update]
- apiGroups: [""]
  resources: [events]
  verbs: [create, list]
{{- if .Values.kueue.enabled }}
# Suspending a job that Kueue manages deactivates its stage Job's Workload (Kueue's rules).
- apiGroups: [kueue.x-k8s.io]
  resources: [workloads]
  verbs: [list, patch]
{{- end }}
{{- end -}}

{{/* Cluster-scoped, whatever namespaces are watched: checking the workers' progress tokens. */}}
{{- define "goldpan.authRules" -}}
- apiGroups: [authentication.k8s.io]
  resources: [tokenreviews]
  verbs: [create]
{{- end -}}
