package normalize

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// The prior art could write v1-objects values as msgpack (USE_MSGPACK, the
// loader's msgpack option), and production buckets hold such values. A
// reader that took them for garbage would overwrite them, resurrecting
// soft-deleted rows, so normalize decodes them (JSON first, as the prior art
// did). It always writes JSON. Only decoding is needed, so it is done here
// in a few lines rather than with a library.

var errMsgpack = errors.New("not a msgpack map")

// decodeMsgpackRow decodes a msgpack map into the types encoding/json would
// give for the same row (timestamps as RFC3339Nano strings).
func decodeMsgpackRow(b []byte) (map[string]any, error) {
	d := &mpDecoder{b: b}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	row, ok := v.(map[string]any)
	if !ok || d.i != len(b) {
		return nil, errMsgpack
	}
	return row, nil
}

type mpDecoder struct {
	b []byte
	i int
}

func (d *mpDecoder) take(n int) ([]byte, error) {
	if n < 0 || d.i+n > len(d.b) {
		return nil, errMsgpack
	}
	p := d.b[d.i : d.i+n]
	d.i += n
	return p, nil
}

// uint reads an n-byte big-endian unsigned integer.
func (d *mpDecoder) uint(n int) (uint64, error) {
	p, err := d.take(n)
	if err != nil {
		return 0, err
	}
	var v uint64
	for _, c := range p {
		v = v<<8 | uint64(c)
	}
	return v, nil
}

func (d *mpDecoder) value(depth int) (any, error) {
	if depth > 64 {
		return nil, errMsgpack
	}
	p, err := d.take(1)
	if err != nil {
		return nil, err
	}
	c := p[0]
	switch {
	case c <= 0x7f:
		return int64(c), nil
	case c >= 0xe0:
		return int64(int8(c)), nil
	case c&0xf0 == 0x80:
		return d.mapOf(int(c&0x0f), depth)
	case c&0xf0 == 0x90:
		return d.arrayOf(int(c&0x0f), depth)
	case c&0xe0 == 0xa0:
		return d.str(int(c & 0x1f))
	}
	return d.typed(c, depth)
}

func (d *mpDecoder) typed(c byte, depth int) (any, error) {
	switch c {
	case 0xc0:
		return nil, nil
	case 0xc2, 0xc3:
		return c == 0xc3, nil
	case 0xc4, 0xc5, 0xc6, 0xd9, 0xda, 0xdb: // bin and str: text
		n, err := d.uint(sizeOf(c))
		if err != nil {
			return nil, err
		}
		return d.str(int(n))
	case 0xca:
		v, err := d.uint(4)
		return float64(math.Float32frombits(uint32(v))), err
	case 0xcb:
		v, err := d.uint(8)
		return math.Float64frombits(v), err
	case 0xcc, 0xcd, 0xce, 0xcf:
		v, err := d.uint(1 << (c - 0xcc))
		return v, err
	case 0xd0, 0xd1, 0xd2, 0xd3:
		n := 1 << (c - 0xd0)
		v, err := d.uint(n)
		return int64(v<<(64-8*n)) >> (64 - 8*n), err
	case 0xdc, 0xdd, 0xde, 0xdf:
		n, err := d.uint(2 << ((c - 0xdc) & 1))
		if err != nil {
			return nil, err
		}
		if c >= 0xde {
			return d.mapOf(int(n), depth)
		}
		return d.arrayOf(int(n), depth)
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		return d.ext(1 << (c - 0xd4))
	case 0xc7, 0xc8, 0xc9:
		n, err := d.uint(1 << (c - 0xc7))
		if err != nil {
			return nil, err
		}
		return d.ext(int(n))
	}
	return nil, fmt.Errorf("msgpack: unknown type byte 0x%x", c)
}

// sizeOf is the length-field size of the bin8..32 and str8..32 types.
func sizeOf(c byte) int {
	if c >= 0xd9 {
		return 1 << (c - 0xd9)
	}
	return 1 << (c - 0xc4)
}

func (d *mpDecoder) str(n int) (any, error) {
	p, err := d.take(n)
	return string(p), err
}

func (d *mpDecoder) arrayOf(n, depth int) (any, error) {
	if n > len(d.b) {
		return nil, errMsgpack
	}
	out := make([]any, n)
	for k := range out {
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

func (d *mpDecoder) mapOf(n, depth int) (any, error) {
	if n > len(d.b) {
		return nil, errMsgpack
	}
	out := make(map[string]any, n)
	for range n {
		k, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out[fmt.Sprint(k)] = v
	}
	return out, nil
}

// ext decodes the timestamp extension (type -1); other extensions are
// kept as their raw bytes.
func (d *mpDecoder) ext(n int) (any, error) {
	t, err := d.take(1)
	if err != nil {
		return nil, err
	}
	p, err := d.take(n)
	if err != nil || int8(t[0]) != -1 {
		return string(p), err
	}
	var ts time.Time
	switch n {
	case 4:
		ts = time.Unix(int64(binary.BigEndian.Uint32(p)), 0)
	case 8:
		v := binary.BigEndian.Uint64(p)
		ts = time.Unix(int64(v&(1<<34-1)), int64(v>>34))
	case 12:
		ts = time.Unix(int64(binary.BigEndian.Uint64(p[4:])), int64(binary.BigEndian.Uint32(p)))
	default:
		return nil, errMsgpack
	}
	return ts.UTC().Format(time.RFC3339Nano), nil
}
