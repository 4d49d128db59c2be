package normalize

import (
	"context"
	"encoding/binary"
	"math"
	"reflect"
	"testing"

	"github.com/linuxfoundation/v1sync/stages/v1change"
)

// mp builds msgpack test values by hand, byte by byte from the spec.
func mpStr(s string) []byte {
	if len(s) < 32 {
		return append([]byte{0xa0 | byte(len(s))}, s...)
	}
	return append([]byte{0xd9, byte(len(s))}, s...)
}

func mpMap(pairs ...[]byte) []byte {
	out := []byte{0xde, 0, byte(len(pairs) / 2)} // map16
	for _, p := range pairs {
		out = append(out, p...)
	}
	return out
}

func TestDecodeMsgpackRow(t *testing.T) {
	f64 := make([]byte, 9)
	f64[0] = 0xcb
	binary.BigEndian.PutUint64(f64[1:], math.Float64bits(2.5))
	ts8 := make([]byte, 10)
	ts8[0], ts8[1] = 0xd7, 0xff // fixext8, type -1
	binary.BigEndian.PutUint64(ts8[2:], uint64(500000000)<<34|uint64(1736157600))
	in := mpMap(
		mpStr("sfid"), mpStr("a092W0000h8PYh6QAG"),
		mpStr("isdeleted"), []byte{0xc2},
		mpStr("n"), []byte{0xd0, 0xfe}, // int8 -2
		mpStr("big"), []byte{0xcd, 0x01, 0x00}, // uint16 256
		mpStr("f"), f64,
		mpStr("none"), []byte{0xc0},
		mpStr("systemmodstamp"), ts8,
		mpStr("tags"), []byte{0x92, 0x01, 0xa1, 'x'},
		mpStr("description__c"), mpStr("a description longer than thirty-one bytes"),
	)
	got, err := decodeMsgpackRow(in)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"sfid": "a092W0000h8PYh6QAG", "isdeleted": false, "n": int64(-2), "big": uint64(256), "f": 2.5, "none": nil,
		"systemmodstamp": "2025-01-06T10:00:00.5Z", "tags": []any{int64(1), "x"},
		"description__c": "a description longer than thirty-one bytes",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v\nwant %#v", got, want)
	}
	for _, bad := range [][]byte{{0x81, 0xa1}, {0x93, 0x01}, {0xc1}, append(mpMap(mpStr("a"), []byte{0x01}), 0x00), {0x01}} {
		if _, err := decodeMsgpackRow(bad); err == nil {
			t.Errorf("decodeMsgpackRow(% x) accepted", bad)
		}
	}
}

// A soft-deleted row stored as msgpack by the prior art stays deleted, and
// a msgpack row's TOAST value and version are honoured.
func TestMsgpackStoredRowsAreRespected(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	deleted := mpMap(mpStr("sfid"), mpStr("a092W0000h8PYh6QAG"), mpStr("name"), mpStr("Open Orbit"),
		mpStr(fieldDeletedAt), mpStr("2025-02-01T00:00:00Z"))
	if _, err := f.kv.Put(ctx, projectKey, deleted); err != nil {
		t.Fatal(err)
	}
	f.mustHandle(project(v1change.Update, "2030-01-01T00:00:00", "name", "resurrected?"))
	if f.stage.Counts()[string(skipDeleted)] != 1 {
		t.Fatalf("msgpack soft delete ignored: %v", f.stage.Counts())
	}

	live := mpMap(mpStr("sfid"), mpStr("a092W0000h8PYh6QAG"), mpStr("systemmodstamp"), mpStr("2025-01-06T10:00:00"),
		mpStr("description__c"), mpStr("kept"))
	if _, err := f.kv.Put(ctx, projectKey, live); err != nil {
		t.Fatal(err)
	}
	f.mustHandle(project(v1change.Update, "2025-01-06T09:00:00", "name", "older"))
	upd := project(v1change.Update, "2025-01-06T11:00:00", "name", "newer")
	upd.UnchangedToast = []string{"description__c"}
	f.mustHandle(upd)
	row := f.get(projectKey) // now JSON
	if row["name"] != "newer" || row["description__c"] != "kept" {
		t.Errorf("row = %v", row)
	}
}
