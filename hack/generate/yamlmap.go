package main

import "go.yaml.in/yaml/v3"

// yamlEntry is one key of an ordered YAML mapping.
type yamlEntry[T any] struct {
	Key   string
	Value T
}

// yamlMap is a YAML mapping that keeps its keys in the order given, so that
// generated files list inputs in declaration order.
type yamlMap[T any] []yamlEntry[T]

func (m yamlMap[T]) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for _, e := range m {
		var v yaml.Node
		if err := v.Encode(e.Value); err != nil {
			return nil, err
		}
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: e.Key}, &v)
	}
	return n, nil
}
