package ingest_test

import (
	"fmt"
	"strings"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/ingest"
)

func ExampleParseCSV() {
	m := &ml.Model{Name: "elec2", Task: ml.TaskBinary, Label: "label", Time: "ts", Features: []ml.Feature{
		{Name: "day", Type: ml.Categorical},
		{Name: "nswprice", Type: ml.Numeric},
	}}
	in := "ts,day,nswprice,label\n1996-05-07T00:30,2,0.056443,1\n1996-05-07T01:00,2,,\n"
	b, err := ingest.ParseCSV(strings.NewReader(in), m, ingest.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range b.N {
		fmt.Println(b.Line[i], b.Time[i], b.Cat[0][i], b.Num[1][i], b.Label[i])
	}

	// One bad value rejects the whole file.
	_, err = ingest.ParseCSV(strings.NewReader(in+"1996-05-07T01:30,2,cheap,0\n"), m, ingest.Options{})
	fmt.Println(err)
	// Output:
	// 2 831429000000 2 0.056443 1
	// 3 831430800000 2 NaN NaN
	// line 4, column 3 (nswprice): "cheap" is not a number
}

func ExampleParseNDJSON() {
	m := &ml.Model{Name: "churn", Task: ml.TaskBinary, Label: "churned", Entity: "customer", Features: []ml.Feature{
		{Name: "plan", Type: ml.Categorical},
		{Name: "spend", Type: ml.Numeric},
	}}
	in := `{"customer": "c1", "plan": "pro", "spend": 12.5}` + "\n" +
		`{"customer": "c1", "plan": 3, "spend": true}` + "\n"
	_, err := ingest.ParseNDJSON(strings.NewReader(in), m, ingest.Options{Now: 1700000000000})
	fmt.Println(err)
	// Output:
	// line 2, column 14 (customer): duplicate entity id "c1" (first on line 1)
	// line 2, column 40 (spend): expected a number, got a boolean
}

func ExampleParseTime() {
	for _, s := range []string{"1996-05-07T00:30", "2024-03-10T12:00:00+01:00", "831429000.5", "07/05/1996"} {
		ms, err := ingest.ParseTime(s)
		fmt.Println(ms, err)
	}
	// Output:
	// 831429000000 <nil>
	// 1710068400000 <nil>
	// 831429000500 <nil>
	// 0 bad timestamp "07/05/1996": use RFC 3339 (2006-01-02T15:04:05Z), 2006-01-02 15:04:05, 2006-01-02 or unix seconds
}

func ExampleInferSchema() {
	in := "id,ts,day,price,label\n" +
		"a,1996-05-07T00:30,2,0.05,1\n" +
		"b,1996-05-07T01:00,2,0.07,0\n" +
		"c,1996-05-07T01:30,3,,0\n"
	s, err := ingest.InferSchema(strings.NewReader(in), 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("rows %d, label %q, time %q, entity %q, preview %d\n", s.Rows, s.Label, s.Time, s.Entity, len(s.Preview))
	for _, c := range s.Columns {
		fmt.Printf("%s %s distinct=%d missing=%d\n", c.Name, c.Type, c.Distinct, c.Missing)
	}
	// Output:
	// rows 3, label "label", time "ts", entity "id", preview 2
	// id categorical distinct=3 missing=0
	// ts categorical distinct=3 missing=0
	// day numeric distinct=2 missing=0
	// price numeric distinct=2 missing=1
	// label numeric distinct=2 missing=0
}

func ExampleFormat() {
	f, err := ingest.Format("text/csv; charset=utf-8")
	fmt.Println(f, err)
	_, err = ingest.Format("text/plain")
	fmt.Println(ml.ErrorCode(err))
	// Output:
	// csv <nil>
	// unsupported_media_type
}
