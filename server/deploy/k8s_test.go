package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// overlays are the deployable shapes; each must render.
var overlays = []string{"single-node", "cassandra"}

// render builds the overlay with the kustomize library (what kubectl apply
// -k runs) and decodes every object strictly against the Kubernetes API
// types: an unknown or misspelt field, a wrong type or a duplicate fails.
func render(t *testing.T, overlay string) []runtime.Object {
	t.Helper()
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), filepath.Join("k8s", "overlays", overlay))
	if err != nil {
		t.Fatalf("kustomize build %s: %v", overlay, err)
	}
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, autoscalingv2.AddToScheme, batchv1.AddToScheme,
		networkingv1.AddToScheme, policyv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	decoder := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
	var objs []runtime.Object
	for _, r := range res.Resources() {
		b, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		obj, _, err := decoder.Decode(b, nil, nil)
		if err != nil {
			t.Errorf("%s: %s %s: %v", overlay, r.GetKind(), r.GetName(), err)
			continue
		}
		objs = append(objs, obj)
	}
	return objs
}

// TestOverlaysRenderStrictly renders every overlay and checks what the
// runbook relies on: probes on /healthz and /readyz, resources set, the
// pods non-root, every container's --role, autoscaling where it can scale.
func TestOverlaysRenderStrictly(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("k8s", "overlays"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !slices.Contains(overlays, e.Name()) {
			t.Errorf("overlay %s is not rendered by this test: add it to overlays", e.Name())
		}
	}
	for _, overlay := range overlays {
		t.Run(overlay, func(t *testing.T) {
			objs := render(t, overlay)
			kinds := map[string][]string{}
			for _, obj := range objs {
				switch o := obj.(type) {
				case *appsv1.Deployment:
					kinds["Deployment"] = append(kinds["Deployment"], o.Name)
					checkPod(t, o.Name, o.Spec.Template.Spec, true)
					if !selects(o.Spec.Selector.MatchLabels, o.Spec.Template.Labels) {
						t.Errorf("deployment %s: selector %v does not select its pods %v", o.Name, o.Spec.Selector.MatchLabels, o.Spec.Template.Labels)
					}
				case *batchv1.Job:
					kinds["Job"] = append(kinds["Job"], o.Name)
					checkPod(t, o.Name, o.Spec.Template.Spec, false)
				case *autoscalingv2.HorizontalPodAutoscaler:
					kinds["HPA"] = append(kinds["HPA"], o.Name)
					if len(o.Spec.Metrics) < 2 {
						t.Errorf("HPA %s scales on %d metrics, want CPU and a load metric", o.Name, len(o.Spec.Metrics))
					}
				case *policyv1.PodDisruptionBudget:
					kinds["PDB"] = append(kinds["PDB"], o.Name)
				case *networkingv1.NetworkPolicy:
					kinds["NetworkPolicy"] = append(kinds["NetworkPolicy"], o.Name)
				case *corev1.Service:
					kinds["Service"] = append(kinds["Service"], o.Name)
				}
			}
			want := map[string][]string{
				"Deployment":    {"backbeat-api", "backbeat-worker"},
				"HPA":           {"backbeat-api", "backbeat-worker"},
				"PDB":           {"backbeat-api", "backbeat-worker"},
				"NetworkPolicy": {"backbeat"},
				"Service":       {"backbeat", "backbeat-metrics"},
				"Job":           {"backbeat-migrate"},
			}
			if overlay == "single-node" {
				want["Deployment"], want["HPA"], want["PDB"], want["Job"] = []string{"backbeat-api"}, nil, []string{"backbeat-api"}, nil
			}
			for kind, names := range want {
				got := kinds[kind]
				slices.Sort(got)
				if !slices.Equal(got, names) {
					t.Errorf("%s objects %v, want %v", kind, got, names)
				}
			}
		})
	}
}

// checkPod checks one pod template: non-root, resources, and for a server
// its role and probes.
func checkPod(t *testing.T, name string, pod corev1.PodSpec, server bool) {
	t.Helper()
	if sc := pod.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("%s: pods may run as root", name)
	}
	for _, c := range pod.Containers {
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s/%s: want CPU and memory requests and a memory limit, got %v", name, c.Name, c.Resources)
		}
		if !server {
			continue
		}
		args := strings.Join(c.Args, " ")
		if !strings.HasPrefix(args, "serve --role ") {
			t.Errorf("%s/%s: args %q, want serve --role ...", name, c.Name, args)
		}
		for probe, want := range map[*corev1.Probe]string{c.LivenessProbe: "/healthz", c.ReadinessProbe: "/readyz", c.StartupProbe: "/healthz"} {
			if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != want {
				t.Errorf("%s/%s: want an HTTP probe of %s, got %+v", name, c.Name, want, probe)
			}
		}
	}
}

func selects(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return len(selector) > 0
}
