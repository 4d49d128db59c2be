package write

import "testing"

func TestOverlayKeepsV2FieldsAndClearsNulls(t *testing.T) {
	current := map[string]any{"name": "old", "is_foundation": true, "description": "d", "uid": "u"}
	got := overlay(current, map[string]any{"name": "new", "description": nil})
	if got["name"] != "new" || got["is_foundation"] != true || got["uid"] != "u" {
		t.Fatalf("overlay %v", got)
	}
	if _, ok := got["description"]; ok {
		t.Fatal("null did not clear the field")
	}
	if current["name"] != "old" {
		t.Fatal("overlay modified the current object")
	}
}

func TestSameContentTreatsEmptyAsAbsent(t *testing.T) {
	a := map[string]any{"name": "x", "public": false, "website": "", "tags": []any{}, "role": map[string]any{"name": ""}}
	b := map[string]any{"name": "x"}
	if !sameContent(a, b) {
		t.Fatal("empty values must equal absent ones")
	}
	if sameContent(map[string]any{"public": true}, b) {
		t.Fatal("true differs from absent")
	}
	if sameContent(map[string]any{"m": []any{"a", "b"}}, map[string]any{"m": []any{"b", "a"}}) {
		t.Fatal("list order matters")
	}
}
