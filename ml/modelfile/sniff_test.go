package modelfile

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSniff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		input   []byte
		want    Format
		wantErr bool
	}{
		{"lightgbm", []byte(stumpModel), LightGBMText, false},
		{"lightgbm version first", []byte("version=v3\nnum_class=1\n"), LightGBMText, false},
		{"lightgbm with BOM and blank lines", []byte("\xef\xbb\xbf\n\r\ntree\r\nversion=v4\r\n"), LightGBMText, false},
		{"xgboost json", []byte(` {"learner": {}, "version": [1, 7, 4]}`), XGBoostJSON, false},
		{"xgboost ubjson", []byte("{L\x00\x00\x00\x00\x00\x00\x00\x07learner{"), XGBoostUBJSON, true},
		{"xgboost binary", []byte("binf\x00\x00\x00?"), XGBoostBinary, true},
		{"xgboost binary before 1.0", []byte("\x00\x00\x00?\x06\x00\x00\x00gbtree"), XGBoostBinary, true},
		{"other binary", []byte("\x00\x01\x02\x03"), Unknown, true},
		{"json of another kind", []byte(`{"learner_x": 1}`), Unknown, true},
		{"csv", []byte("a,b,c\n1,2,3\n"), Unknown, true},
		{"empty", nil, Unknown, true},
		{"one byte", []byte("{"), Unknown, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Sniff(tt.input)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("Sniff = %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestXGBThreshold checks the conversion's core promise on many float32
// thresholds: for every float64 x, x <= xgbThreshold(t) exactly when
// float32(x) < t (XGBoost's decision after casting the feature).
func TestXGBThreshold(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	ts := []float32{0, float32(math.Copysign(0, -1)), 1, -1, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, math.MaxFloat32, -math.MaxFloat32, 0.1, 1e-38}
	for range 2000 {
		ts = append(ts, math.Float32frombits(rng.Uint32()))
	}
	for _, th := range ts {
		if math.IsNaN(float64(th)) || math.IsInf(float64(th), 0) {
			continue
		}
		T := xgbThreshold(th)
		below := float64(math.Nextafter32(th, float32(math.Inf(-1))))
		// Probe T and its neighbours, the two float32 values and points between.
		xs := []float64{T, math.Nextafter(T, math.Inf(1)), math.Nextafter(T, math.Inf(-1)), float64(th), below,
			(below + float64(th)) / 2, below + (float64(th)-below)/4, float64(th) - (float64(th)-below)/4}
		for _, x := range xs {
			if math.IsInf(x, 0) || math.IsNaN(x) {
				continue
			}
			if got, want := x <= T, float32(x) < th; got != want {
				t.Fatalf("t=%v (%#x) T=%v x=%v: leaves goes left=%v, xgboost left=%v", th, math.Float32bits(th), T, x, got, want)
			}
		}
	}
}
