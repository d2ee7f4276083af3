package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The manifests in examples/kubernetes parse, have the kinds the README
// describes, and set what this program reads from its environment.
func TestManifests(t *testing.T) {
	docs := map[string][]yaml.Node{}
	for file, kinds := range map[string][]string{
		"deployment.yaml":     {"Deployment"},
		"cronjob.yaml":        {"ConfigMap", "CronJob"},
		"secret.example.yaml": {"Secret", "Secret"},
	} {
		docs[file] = parseManifests(t, file)
		var got []string
		for _, n := range docs[file] {
			var m struct {
				APIVersion string `yaml:"apiVersion"`
				Kind       string
				Metadata   struct{ Name string }
			}
			decode(t, &n, &m)
			if m.APIVersion == "" || m.Metadata.Name == "" {
				t.Errorf("%s: a %s without apiVersion or metadata.name", file, m.Kind)
			}
			got = append(got, m.Kind)
		}
		if !slices.Equal(got, kinds) {
			t.Errorf("%s: kinds %q, want %q", file, got, kinds)
		}
	}
	secretKeys := secretKeys(t, &docs["secret.example.yaml"][0])

	var deployment struct {
		Spec struct {
			Replicas int
			Template struct{ Spec podSpec }
		}
	}
	decode(t, &docs["deployment.yaml"][0], &deployment)
	pod := deployment.Spec.Template.Spec
	if deployment.Spec.Replicas != 3 {
		t.Errorf("deployment: %d replicas, want 3", deployment.Spec.Replicas)
	}
	if grace := pod.TerminationGracePeriodSeconds; grace <= int(resignTimeout.Seconds()) {
		t.Errorf("deployment: terminationGracePeriodSeconds %d, want more than the %v resign", grace, resignTimeout)
	}
	pod.checkEtcdEnv(t, "deployment", secretKeys)
	// Every variable the Deployment sets is one the program reads.
	var read []string
	if _, err := configFromEnv(func(k string) string {
		read = append(read, k)
		if k == "ETCD_ENDPOINTS" {
			return "x:2379"
		}
		return ""
	}); err != nil {
		t.Fatal(err)
	}
	for _, e := range pod.Containers[0].Env {
		if !slices.Contains(read, e.Name) {
			t.Errorf("deployment sets %s, which leader-job does not read (it reads %q)", e.Name, read)
		}
	}

	var cronJob struct {
		Spec struct {
			ConcurrencyPolicy string `yaml:"concurrencyPolicy"`
			JobTemplate       struct {
				Spec struct{ Template struct{ Spec podSpec } }
			} `yaml:"jobTemplate"`
		}
	}
	decode(t, &docs["cronjob.yaml"][1], &cronJob)
	if cronJob.Spec.ConcurrencyPolicy != "Forbid" {
		t.Errorf("cronjob: concurrencyPolicy %q, want Forbid", cronJob.Spec.ConcurrencyPolicy)
	}
	job := cronJob.Spec.JobTemplate.Spec.Template.Spec
	job.checkEtcdEnv(t, "cronjob", secretKeys)
	want := "brokerlock run --ttl 10m --keepalive --try nightly-report -- /scripts/report.sh"
	if got := strings.Join(job.Containers[0].Command, " "); got != want {
		t.Errorf("cronjob: command %q, want %q", got, want)
	}
	var script struct{ Data map[string]string }
	decode(t, &docs["cronjob.yaml"][0], &script)
	if !strings.HasPrefix(script.Data["report.sh"], "#!/bin/sh\n") {
		t.Errorf("cronjob: the ConfigMap has no report.sh script: %q", script.Data)
	}
}

// podSpec is the part of a pod template the test looks at.
type podSpec struct {
	TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
	Containers                    []struct {
		Command []string
		Env     []struct {
			Name      string
			Value     string
			ValueFrom struct {
				FieldRef struct {
					FieldPath string `yaml:"fieldPath"`
				} `yaml:"fieldRef"`
			} `yaml:"valueFrom"`
		}
		VolumeMounts []struct {
			Name      string
			MountPath string `yaml:"mountPath"`
			ReadOnly  bool   `yaml:"readOnly"`
		} `yaml:"volumeMounts"`
	}
	Volumes []struct {
		Name   string
		Secret struct {
			SecretName string `yaml:"secretName"`
		}
	}
}

// checkEtcdEnv checks the etcd settings of the pod's first container: the
// endpoints, POD_NAME from the downward API, and TLS files that are keys
// of the etcd-client-tls Secret, mounted read-only.
func (p podSpec) checkEtcdEnv(t *testing.T, name string, secretKeys []string) {
	t.Helper()
	if len(p.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", name, len(p.Containers))
	}
	c := p.Containers[0]
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
		if e.Name == "POD_NAME" && e.ValueFrom.FieldRef.FieldPath != "metadata.name" {
			t.Errorf("%s: POD_NAME from %q, want the downward API's metadata.name", name, e.ValueFrom.FieldRef.FieldPath)
		}
	}
	for _, k := range []string{"ETCD_ENDPOINTS", "POD_NAME", "ETCD_CACERT", "ETCD_CERT", "ETCD_KEY"} {
		if _, ok := env[k]; !ok {
			t.Errorf("%s: %s not set", name, k)
		}
	}
	tlsVolume := ""
	for _, v := range p.Volumes {
		if v.Secret.SecretName == "etcd-client-tls" {
			tlsVolume = v.Name
		}
	}
	for _, m := range c.VolumeMounts {
		if m.Name != tlsVolume {
			continue
		}
		if !m.ReadOnly {
			t.Errorf("%s: the TLS Secret is mounted writable", name)
		}
		for _, k := range []string{"ETCD_CACERT", "ETCD_CERT", "ETCD_KEY"} {
			if dir, file := filepath.Split(env[k]); filepath.Clean(dir) != m.MountPath || !slices.Contains(secretKeys, file) {
				t.Errorf("%s: %s=%q is not a key of the Secret %q mounted at %s", name, k, env[k], secretKeys, m.MountPath)
			}
		}
		return
	}
	t.Errorf("%s: the Secret etcd-client-tls is not mounted", name)
}

// secretKeys returns the keys of the Secret etcd-client-tls.
func secretKeys(t *testing.T, n *yaml.Node) []string {
	t.Helper()
	var s struct {
		Metadata   struct{ Name string }
		StringData map[string]string `yaml:"stringData"`
	}
	decode(t, n, &s)
	if s.Metadata.Name != "etcd-client-tls" {
		t.Fatalf("the first Secret is %q, want etcd-client-tls", s.Metadata.Name)
	}
	var keys []string
	for k := range s.StringData {
		keys = append(keys, k)
	}
	return keys
}

// parseManifests returns the YAML documents of ../file.
func parseManifests(t *testing.T, file string) []yaml.Node {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", file))
	if err != nil {
		t.Fatal(err)
	}
	var docs []yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); errors.Is(err, io.EOF) {
			return docs
		} else if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		docs = append(docs, n)
	}
}

func decode(t *testing.T, n *yaml.Node, v any) {
	t.Helper()
	if err := n.Decode(v); err != nil {
		t.Fatalf("line %d: %v", n.Line, err)
	}
}
