package localaws

import (
	"net/url"
	"reflect"
	"strconv"
	"strings"
)

// cwDecodeQuery fills an input struct from awsQuery form parameters, reading
// the same json tags the other protocols use: nested members are dotted
// (MetricStat.Metric.Namespace), list items are Name.member.N counted from 1.
func cwDecodeQuery(form url.Values, in any) error {
	d := cwFormDecoder{form: form, present: make(map[string]bool, len(form)*4)}
	for key := range form {
		// No CloudWatch input nests deeper than a dozen segments; deeper keys
		// name nothing and indexing them would only cost memory.
		if strings.Count(key, ".") > cwMaxFormDepth {
			continue
		}
		for i := range len(key) {
			if key[i] == '.' {
				d.present[key[:i]] = true
			}
		}
		d.present[key] = true
	}
	return d.decodeStruct("", reflect.ValueOf(in).Elem())
}

const cwMaxFormDepth = 12

type cwFormDecoder struct {
	form url.Values
	// present holds every parameter name and every dotted prefix of one, so
	// "is there a member N" is one lookup.
	present map[string]bool
}

var cwTimeType = reflect.TypeFor[cwTime]()

func (d *cwFormDecoder) decodeStruct(prefix string, v reflect.Value) error {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if err := d.decodeValue(prefix+name, v.Field(i)); err != nil {
			return err
		}
	}
	return nil
}

func (d *cwFormDecoder) decodeValue(key string, v reflect.Value) error {
	if !d.present[key] {
		return nil
	}
	switch {
	case v.Type() == cwTimeType:
		if err := v.Addr().Interface().(*cwTime).UnmarshalText([]byte(d.form.Get(key))); err != nil {
			return cwInvalidValue("The value %s for parameter %s is not a valid timestamp.", d.form.Get(key), key)
		}
		return nil
	case v.Kind() == reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		if err := d.decodeValue(key, elem.Elem()); err != nil {
			return err
		}
		v.Set(elem)
		return nil
	case v.Kind() == reflect.Slice:
		items := reflect.MakeSlice(v.Type(), 0, 0)
		for n := 1; ; n++ {
			itemKey := key + ".member." + strconv.Itoa(n)
			if !d.present[itemKey] {
				break
			}
			item := reflect.New(v.Type().Elem()).Elem()
			if err := d.decodeValue(itemKey, item); err != nil {
				return err
			}
			items = reflect.Append(items, item)
		}
		v.Set(items)
		return nil
	case v.Kind() == reflect.Struct:
		return d.decodeStruct(key+".", v)
	}
	return d.decodeScalar(key, v)
}

func (d *cwFormDecoder) decodeScalar(key string, v reflect.Value) error {
	raw := d.form.Get(key)
	bad := func() error {
		return cwInvalidValue("The value %s for parameter %s is invalid.", raw, key)
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(raw)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return bad()
		}
		v.SetBool(b)
	case reflect.Int32, reflect.Int64, reflect.Int:
		n, err := strconv.ParseInt(raw, 10, v.Type().Bits())
		if err != nil {
			return bad()
		}
		v.SetInt(n)
	case reflect.Float64:
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return bad()
		}
		v.SetFloat(f)
	}
	return nil
}
