// Command k8s-validate checks rendered manifests offline, without a cluster or downloaded schemas:
// every document of a kind that the Kubernetes or Prometheus Operator Go types know is decoded
// strictly (unknown or duplicated fields, wrong types and malformed quantities fail). Kinds it has
// no types for (Strimzi's, KEDA's) are counted as unchecked. Reads `helm template` output on stdin
// and prints one JSON line: {"checked":N,"invalid":[...],"unchecked":{"kind":count}}; exits 1 when
// a document is invalid.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
)

type report struct {
	Checked   int            `json:"checked"`
	Invalid   []string       `json:"invalid"`
	Unchecked map[string]int `json:"unchecked"`
}

func main() {
	s := runtime.NewScheme()
	if err := scheme.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := monitoringv1.AddToScheme(s); err != nil {
		panic(err)
	}
	decoder := serializer.NewCodecFactory(s, serializer.EnableStrict).UniversalDeserializer()
	out := report{Invalid: []string{}, Unchecked: map[string]int{}}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(os.Stdin))
	for {
		doc, err := reader.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "error: reading manifests:", err)
			os.Exit(2)
		}
		asJSON, err := utilyaml.ToJSON(doc)
		if err != nil {
			out.Invalid = append(out.Invalid, fmt.Sprintf("not YAML: %v", err))
			continue
		}
		if len(bytes.TrimSpace(asJSON)) == 0 || string(bytes.TrimSpace(asJSON)) == "null" {
			continue // a comment-only document (helm's "# Source:" lines)
		}
		var u unstructured.Unstructured
		if err := u.UnmarshalJSON(asJSON); err != nil {
			out.Invalid = append(out.Invalid, fmt.Sprintf("no apiVersion/kind: %v", err))
			continue
		}
		gvk := u.GroupVersionKind()
		if !s.Recognizes(gvk) {
			out.Unchecked[gvk.GroupVersion().String()+"/"+gvk.Kind]++
			continue
		}
		if _, _, err := decoder.Decode(doc, nil, nil); err != nil {
			out.Invalid = append(out.Invalid, fmt.Sprintf("%s %s: %v", gvk.Kind, u.GetName(), err))
			continue
		}
		out.Checked++
	}
	line, _ := json.Marshal(out)
	fmt.Println(string(line))
	if len(out.Invalid) > 0 {
		os.Exit(1)
	}
}
