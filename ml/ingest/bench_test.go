package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/freshet/freshet/ml"
)

// elec2Model is shaped like the Elec2 data set: a timestamp, a weekday, a
// half-hour period, prices and demands, and a binary label.
func elec2Model() *ml.Model {
	m := &ml.Model{Name: "elec2", Task: ml.TaskBinary, Label: "label", Time: "ts"}
	m.Features = append(m.Features, ml.Feature{Name: "day", Type: ml.Categorical})
	for _, n := range []string{"period", "nswprice", "nswdemand", "vicprice", "vicdemand", "transfer"} {
		m.Features = append(m.Features, ml.Feature{Name: n, Type: ml.Numeric})
	}
	m.Normalize()
	return m
}

// elec2CSV generates n rows shaped like Elec2.
func elec2CSV(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var buf bytes.Buffer
	buf.WriteString("ts,day,period,nswprice,nswdemand,vicprice,vicdemand,transfer,label\n")
	t := time.Date(1996, 5, 7, 0, 30, 0, 0, time.UTC)
	for i := range n {
		fmt.Fprintf(&buf, "%s,%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%d\n",
			t.Format("2006-01-02T15:04"), (i/48)%7+1, float64(i%48)/47,
			rng.Float64(), rng.Float64(), rng.Float64()*0.01, rng.Float64(), rng.Float64(), rng.IntN(2))
		t = t.Add(30 * time.Minute)
	}
	return buf.Bytes()
}

// elec2NDJSON generates the same rows as NDJSON.
func elec2NDJSON(n int) []byte {
	m := elec2Model()
	b, err := ParseCSV(bytes.NewReader(elec2CSV(n)), m, Options{})
	if err != nil {
		panic(err)
	}
	var buf bytes.Buffer
	for i := range b.N {
		row := map[string]any{"ts": time.UnixMilli(b.Time[i]).UTC().Format("2006-01-02T15:04"), "label": b.Label[i], "day": b.Cat[0][i]}
		for j := 1; j < 7; j++ {
			row[m.Features[j].Name] = b.Num[j][i]
		}
		line, _ := json.Marshal(row)
		buf.Write(line)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

func BenchmarkParseCSVElec2(b *testing.B) {
	const n = 100_000
	data := elec2CSV(n)
	m := elec2Model()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		batch, err := ParseCSV(bytes.NewReader(data), m, Options{})
		if err != nil || batch.N != n {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkParseNDJSONElec2(b *testing.B) {
	const n = 100_000
	data := elec2NDJSON(n)
	m := elec2Model()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		batch, err := ParseNDJSON(bytes.NewReader(data), m, Options{})
		if err != nil || batch.N != n {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkParseJSONElec2(b *testing.B) {
	const n = 100_000
	nd := bytes.TrimSpace(elec2NDJSON(n))
	data := append([]byte("[\n"), bytes.ReplaceAll(nd, []byte("\n"), []byte(",\n"))...)
	data = append(data, "\n]\n"...)
	m := elec2Model()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		batch, err := ParseJSON(bytes.NewReader(data), m, Options{})
		if err != nil || batch.N != n {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkParseTime(b *testing.B) {
	for b.Loop() {
		if _, err := ParseTime("1996-05-07T00:30"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInferSchemaElec2(b *testing.B) {
	const n = 100_000
	data := elec2CSV(n)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		in, err := InferSchema(bytes.NewReader(data), 20)
		if err != nil || in.Rows != n {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
