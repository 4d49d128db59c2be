package pipeline_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// handling is one message handled by one group member, as its child process
// recorded it: "<key> <seq> <began> <ended> <deliveries> <stream> <stream seq>"
// (times in unix nanos), the last two as the dispatcher saw them in the
// message's metadata.
type handling struct {
	member string
	key    string
	seq    int
	began  time.Time
	at     time.Time // when handling ended
	nth    int       // delivery count of the work-queue message
	origin string
}

// childLog is everything the children have written so far.
type childLog struct {
	started  map[string]time.Time // member -> when RunGroup was called
	handled  []handling           // in handling-time order
	distinct map[string]bool      // "key seq" handled at least once
}

// readChildLogs reads every member's record file in dir. A line still being
// written (no newline yet) is left for the next read.
func readChildLogs(t *testing.T, dir string) childLog {
	t.Helper()
	log := childLog{started: map[string]time.Time{}, distinct: map[string]bool{}}
	files, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		member := strings.TrimSuffix(filepath.Base(f), ".log")
		readChildLog(t, f, member, &log)
	}
	sort.SliceStable(log.handled, func(i, j int) bool { return log.handled[i].at.Before(log.handled[j].at) })
	return log
}

func readChildLog(t *testing.T, path, member string, log *childLog) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(data[:strings.LastIndexByte(string(data), '\n')+1])))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "start" {
			log.started[member] = unixNanos(t, f[1])
			continue
		}
		if len(f) != 7 {
			t.Fatalf("%s: bad record %q", path, sc.Text())
		}
		seq, _ := strconv.Atoi(f[1])
		nth, _ := strconv.Atoi(f[4])
		log.handled = append(log.handled, handling{member: member, key: f[0], seq: seq,
			began: unixNanos(t, f[2]), at: unixNanos(t, f[3]), nth: nth, origin: f[5] + ":" + f[6]})
		log.distinct[f[0]+" "+f[1]] = true
	}
}

func unixNanos(t *testing.T, s string) time.Time {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("bad time %q", s)
	}
	return time.Unix(0, n)
}

// wrongOrigins lists handlings whose metadata did not name the input stream
// and sequence the message was published to (origins: "key seq" -> "stream:seq").
func (l childLog) wrongOrigins(origins map[string]string) []string {
	var out []string
	for _, h := range l.handled {
		id := fmt.Sprintf("%s %d", h.key, h.seq)
		if origins[id] != h.origin {
			out = append(out, fmt.Sprintf("%s seen as %s, published as %s", id, h.origin, origins[id]))
		}
	}
	return out
}

// overlapping returns the pairs of handlings of one key by two members at
// the same time.
func (l childLog) overlapping() [][2]handling {
	byKey := map[string][]handling{}
	for _, h := range l.handled {
		byKey[h.key] = append(byKey[h.key], h)
	}
	var out [][2]handling
	for _, hs := range byKey {
		for i, a := range hs {
			for _, b := range hs[i+1:] {
				if a.member != b.member && a.began.Before(b.at) && b.began.Before(a.at) {
					out = append(out, [2]handling{a, b})
				}
			}
		}
	}
	return out
}

// overlaps describes overlapping().
func (l childLog) overlaps() []string {
	var out []string
	for _, o := range l.overlapping() {
		out = append(out, fmt.Sprintf("%s: seq %d on %s and seq %d on %s", o[0].key, o[0].seq, o[0].member, o[1].seq, o[1].member))
	}
	return out
}

// orderReport checks per-key order across all members: the first handling
// of a message must not come after a later message of its key was handled.
// A second handling of a message (redelivery after a crash or a rebalance)
// is a duplicate, counted but allowed: handlers are idempotent.
func (l childLog) orderReport() (overtaken []string, duplicates []string) {
	highest := map[string]int{}
	seen := map[string]bool{}
	for _, h := range l.handled {
		id := fmt.Sprintf("%s %d", h.key, h.seq)
		if seen[id] {
			duplicates = append(duplicates, fmt.Sprintf("%s again on %s (delivery %d)", id, h.member, h.nth))
			continue
		}
		seen[id] = true
		if h.seq < highest[h.key] {
			overtaken = append(overtaken, fmt.Sprintf("%s first handled on %s after seq %d", id, h.member, highest[h.key]))
		}
		highest[h.key] = max(highest[h.key], h.seq)
	}
	return overtaken, duplicates
}

// shares counts first handlings per member in [from, to).
func (l childLog) shares(from, to time.Time) map[string]int {
	out := map[string]int{}
	seen := map[string]bool{}
	for _, h := range l.handled {
		id := fmt.Sprintf("%s %d", h.key, h.seq)
		if seen[id] {
			continue
		}
		seen[id] = true
		if !h.at.Before(from) && h.at.Before(to) {
			out[h.member]++
		}
	}
	return out
}

// owners returns the member that last handled each key before at.
func (l childLog) owners(at time.Time) map[string]string {
	out := map[string]string{}
	for _, h := range l.handled {
		if h.at.Before(at) {
			out[h.key] = h.member
		}
	}
	return out
}

// resumed returns, for the keys last handled by victim before at, how long
// after at a survivor first handled each of them, sorted.
func (l childLog) resumed(victim string, at time.Time) []time.Duration {
	owner := l.owners(at)
	done := map[string]bool{}
	var out []time.Duration
	for _, h := range l.handled {
		if h.at.Before(at) || h.member == victim || owner[h.key] != victim || done[h.key] {
			continue
		}
		done[h.key] = true
		out = append(out, h.at.Sub(at))
	}
	slices.Sort(out)
	return out
}

// handledBy reports whether member handled the message key/seq.
func (l childLog) handledBy(member, key string, seq int) bool {
	for _, h := range l.handled {
		if h.member == member && h.key == key && h.seq == seq {
			return true
		}
	}
	return false
}

// firstBy is when member first handled a message.
func (l childLog) firstBy(member string) (time.Time, bool) {
	for _, h := range l.handled {
		if h.member == member {
			return h.at, true
		}
	}
	return time.Time{}, false
}
