package rules

import (
	"reflect"
	"testing"
)

// TestAppendResultCopiesEveryField fills every field of a RuleResult through
// reflection and checks that appendResult, which stores a result field by
// field, stores what appending the whole NamedResult would: a field added to
// RuleResult and not to appendResult fails here, whether the slice has room
// or must grow.
func TestAppendResultCopiesEveryField(t *testing.T) {
	var r RuleResult
	v := reflect.ValueOf(&r).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("x" + v.Type().Field(i).Name)
		case reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
		default:
			t.Fatalf("RuleResult.%s is a %s: teach this test (and check appendResult) how to fill it", v.Type().Field(i).Name, f.Kind())
		}
	}
	for _, room := range []int{0, 1} {
		got := appendResult(make(Results, 0, room), "rule", r)
		want := append(make(Results, 0, room), NamedResult{"rule", r})
		if !reflect.DeepEqual(got, want) {
			t.Errorf("room %d: appendResult stored %+v, want %+v", room, got, want)
		}
	}
}
