package patterns

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The lookups of the HTTP fan-out: the same "short computation" (64 rounds
// of splitmix64) and the same texts as patterns/http_fanout.c, so bodies
// match byte for byte.
func lookupMix(id int64, kind int) uint64 {
	x := uint64(id)*0x9E3779B97F4A7C15 + uint64(kind)
	for i := 0; i < 64; i++ {
		x += 0x9E3779B97F4A7C15
		z := x
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		x ^= z ^ (z >> 31)
	}
	return x
}

func lookupText(id int64, kind int) string {
	h := lookupMix(id, kind)
	switch kind {
	case 0:
		return fmt.Sprintf("user: id=%d name=user-%04d", id, h%10000)
	case 1:
		return fmt.Sprintf("product: sku=P%06d price=%d.%02d", h%1000000, (h>>20)%1000, (h>>40)%100)
	default:
		return fmt.Sprintf("analytics: views=%d", h%100000000)
	}
}

// DashboardBody is what GET /dashboard?id=id answers.
func DashboardBody(id int64) string {
	var b strings.Builder
	for k := 0; k < 3; k++ {
		b.WriteString(lookupText(id, k))
		b.WriteByte('\n')
	}
	return b.String()
}

type answer struct {
	kind int
	text string
}

// DashboardHandler is the article's handler: three goroutines answer on a
// cap-3 channel; the answers are written in a fixed order (as the C server
// does). delay is the simulated delay of each lookup.
func DashboardHandler(delay time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "405 Method Not Allowed", http.StatusMethodNotAllowed)
			return
		}
		id := int64(1)
		if q := r.URL.RawQuery; q != "" {
			if !strings.HasPrefix(q, "id=") || len(q) == 3 || len(q) > 18 {
				http.Error(w, "400 Bad Request", http.StatusBadRequest)
				return
			}
			v, err := strconv.ParseInt(q[3:], 10, 64)
			if err != nil || v < 0 {
				http.Error(w, "400 Bad Request", http.StatusBadRequest)
				return
			}
			id = v
		}
		results := make(chan answer, 3)
		for k := 0; k < 3; k++ {
			go func(kind int) {
				if delay > 0 {
					time.Sleep(delay)
				}
				results <- answer{kind, lookupText(id, kind)}
			}(k)
		}
		var texts [3]string
		for i := 0; i < 3; i++ {
			a := <-results
			texts[a.kind] = a.text
		}
		body := texts[0] + "\n" + texts[1] + "\n" + texts[2] + "\n"
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write([]byte(body))
	}
}

// NewMux serves /dashboard and /health, 404 elsewhere.
func NewMux(delay time.Duration) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/dashboard", DashboardHandler(delay))
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}
