package assemble

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// object is a JSON object that keeps its keys in document order, so that a
// rewritten package.json reads like the upstream one and diffs stay small.
type object struct {
	keys []string
	vals map[string]any // values are json.RawMessage, *object or plain Go values
}

func newObject() *object { return &object{vals: map[string]any{}} }

func parseObject(data []byte) (*object, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("want a JSON object")
	}
	o, err := readObject(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after the JSON object")
	}
	return o, nil
}

func readObject(dec *json.Decoder) (*object, error) {
	o := newObject()
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("object key is not a string")
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		var v any = raw
		if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '{' {
			sub, err := parseObject(t)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
			v = sub
		}
		o.Set(key, v)
	}
	if _, err := dec.Token(); err != nil { // closing brace
		return nil, err
	}
	return o, nil
}

// Set replaces a value in place or appends a new key at the end.
func (o *object) Set(key string, v any) {
	if _, ok := o.vals[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.vals[key] = v
}

func (o *object) Has(key string) bool { _, ok := o.vals[key]; return ok }

func (o *object) Delete(key string) {
	if _, ok := o.vals[key]; !ok {
		return
	}
	delete(o.vals, key)
	for i, k := range o.keys {
		if k == key {
			o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
			break
		}
	}
}

// Object returns the nested object under key, or nil.
func (o *object) Object(key string) *object {
	sub, _ := o.vals[key].(*object)
	return sub
}

// String returns the string value under key ("" when absent or not a string).
func (o *object) String(key string) string {
	var s string
	switch v := o.vals[key].(type) {
	case string:
		return v
	case json.RawMessage:
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	return ""
}

// Keys returns the keys in document order.
func (o *object) Keys() []string { return append([]string(nil), o.keys...) }

// MarshalJSON writes the object with two-space indentation, keys in order.
func (o *object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := o.write(&b, ""); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (o *object) write(b *bytes.Buffer, indent string) error {
	if len(o.keys) == 0 {
		b.WriteString("{}")
		return nil
	}
	b.WriteString("{\n")
	inner := indent + "  "
	for i, k := range o.keys {
		kb, _ := json.Marshal(k)
		b.WriteString(inner)
		b.Write(kb)
		b.WriteString(": ")
		switch v := o.vals[k].(type) {
		case *object:
			if err := v.write(b, inner); err != nil {
				return err
			}
		default:
			vb, err := json.MarshalIndent(v, inner, "  ")
			if err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			b.Write(vb)
		}
		if i < len(o.keys)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(indent + "}")
	return nil
}
