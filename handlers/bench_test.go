package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/freshet/freshet/ml"
)

// BenchmarkIngestElec2CSV posts the whole Elec2 data set (45,312 rows,
// Elec2-shaped: time, 7 features, label) as CSV through the HTTP API into
// SQLite, as a client would: parse, validate, encode, commit. Target:
// ≥ 150,000 rows/s.
func BenchmarkIngestElec2CSV(b *testing.B) {
	e := newEnv(b)
	e.Server.MaxRows = 1_000_000
	e.Server.MaxBody = 1 << 30
	e.demoModel()
	body := elec2CSV(b, 0, 45312, false)
	rows := strings.Count(body, "\n") - 1
	tok := e.Tokens[ml.ScopeIngest]
	client := &http.Client{}
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for b.Loop() {
		req, _ := http.NewRequest("POST", e.HTTP.URL+"/api/v1/models/elec2/observations", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "text/csv")
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
