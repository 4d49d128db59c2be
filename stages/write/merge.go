package write

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
)

// fields decodes a Base or Settings document; empty means no fields.
func fields(raw json.RawMessage) (map[string]any, error) {
	out := map[string]any{}
	if len(raw) == 0 {
		return out, nil
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("decode intent fields: %w", err)
	}
	return out, nil
}

// overlay starts from the current v2 object, so fields v2 owns survive the
// full-replacement PUT, and sets every v1-owned field; a v1-owned field
// given as null is cleared (omitted from the PUT body).
func overlay(current, desired map[string]any) map[string]any {
	out := maps.Clone(current)
	if out == nil {
		out = map[string]any{}
	}
	for k, v := range desired {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

// writable drops the fields a service computes itself.
func writable(obj map[string]any, readOnly []string) map[string]any {
	out := maps.Clone(obj)
	for _, k := range readOnly {
		delete(out, k)
	}
	return out
}

// withDefaults fills required fields the service renders as absent when
// empty (GET omits "" values, but PUT requires the key).
func withDefaults(obj map[string]any, defaults map[string]any) map[string]any {
	for k, v := range defaults {
		if _, ok := obj[k]; !ok {
			obj[k] = v
		}
	}
	return obj
}

// sameContent compares two objects as the service would store them: empty
// strings, empty lists, empty objects, false and null are all "absent" (the
// services omit empty values when rendering and default bools to false).
func sameContent(a, b map[string]any) bool {
	return reflect.DeepEqual(normalize(a), normalize(b))
}

func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range t {
			if n := normalize(x); n != nil {
				out[k] = n
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		if len(t) == 0 {
			return nil
		}
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = normalize(x)
		}
		return out
	case string:
		if t == "" {
			return nil
		}
		return t
	case bool:
		// The services default an omitted bool to false.
		if !t {
			return nil
		}
		return t
	default:
		return v
	}
}

// without returns m minus keys.
func without(m map[string]any, keys []string) map[string]any {
	out := maps.Clone(m)
	for _, k := range keys {
		delete(out, k)
	}
	return out
}
