package plan

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// File is one file of the manifests layer.
type File struct {
	// Path is <service>/<file>.
	Path string
	Data []byte
}

// ServiceFiles returns the manifest files of the service called name, sorted
// by path. It is empty for an unknown service.
func (l *Loaded) ServiceFiles(name string) []File {
	prefix := name + "/"
	var files []File
	for p, data := range l.Manifests {
		if strings.HasPrefix(p, prefix) {
			files = append(files, File{Path: p, Data: data})
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files
}

// ServiceDocuments returns the non-empty YAML documents of the service's
// manifest files, in file order then document order.
func (l *Loaded) ServiceDocuments(name string) ([][]byte, error) {
	var docs [][]byte
	for _, f := range l.ServiceFiles(name) {
		d, err := SplitDocuments(f.Data)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f.Path, err)
		}
		docs = append(docs, d...)
	}
	return docs, nil
}

// ServiceObjects decodes the service's manifests into Kubernetes objects, in
// file order then document order. Every object needs apiVersion, kind and
// metadata.name.
func (l *Loaded) ServiceObjects(name string) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	for _, f := range l.ServiceFiles(name) {
		o, err := DecodeObjects(f.Data)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f.Path, err)
		}
		objs = append(objs, o...)
	}
	return objs, nil
}

// SplitDocuments splits multi-document YAML, dropping empty documents and
// documents holding only comments.
func SplitDocuments(data []byte) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if isBlankYAML(doc) {
			continue
		}
		docs = append(docs, doc)
	}
}

func isBlankYAML(doc []byte) bool {
	for _, line := range bytes.Split(doc, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if len(t) == 0 || t[0] == '#' || string(t) == "---" {
			continue
		}
		return false
	}
	return true
}

// objectHeader is what CheckObjects needs of a Kubernetes object.
type objectHeader struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
}

// CheckObjects checks, as DecodeObjects does, that every document of a
// multi-document YAML file is a Kubernetes object with apiVersion, kind and
// metadata.name, without building the objects: bundle-plan checks every
// manifest file of a release this way.
func CheckObjects(data []byte) (int, error) {
	docs, err := SplitDocuments(data)
	if err != nil {
		return 0, err
	}
	for i, doc := range docs {
		var h objectHeader
		if err := yamlv3.Unmarshal(doc, &h); err != nil {
			return 0, fmt.Errorf("document %d: %w", i+1, err)
		}
		if err := checkHeader(i+1, h.APIVersion, h.Kind, h.Metadata.Name); err != nil {
			return 0, err
		}
	}
	return len(docs), nil
}

func checkHeader(n int, apiVersion, kind, name string) error {
	switch {
	case apiVersion == "":
		return fmt.Errorf("document %d: apiVersion is missing", n)
	case kind == "":
		return fmt.Errorf("document %d: kind is missing", n)
	case name == "":
		return fmt.Errorf("document %d (%s): metadata.name is missing", n, kind)
	}
	return nil
}

// DecodeObjects decodes multi-document YAML into Kubernetes objects. Every
// document must be a mapping with apiVersion, kind and metadata.name; a List
// kind is not expanded.
func DecodeObjects(data []byte) ([]*unstructured.Unstructured, error) {
	docs, err := SplitDocuments(data)
	if err != nil {
		return nil, err
	}
	objs := make([]*unstructured.Unstructured, 0, len(docs))
	for i, doc := range docs {
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		u := &unstructured.Unstructured{Object: m}
		if err := checkHeader(i+1, u.GetAPIVersion(), u.GetKind(), u.GetName()); err != nil {
			return nil, err
		}
		objs = append(objs, u)
	}
	return objs, nil
}
