package ingest

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on the strings a batch keeps.
const (
	// MaxCategoryLen is the longest categorical value, in bytes.
	MaxCategoryLen = 256
	// MaxEntityLen is the longest entity id, in bytes.
	MaxEntityLen = 200
)

// kind is the JSON type of a value; CSV cells are all kText.
type kind uint8

const (
	kText   kind = iota // a CSV cell or a JSON string
	kNumber             // a JSON number; the text is its literal
	kBool               // a JSON true or false; the text is the literal
	kNull               // a JSON null; the text is ""
	kObject             // a JSON object; no text
	kArray              // a JSON array; no text
)

func (k kind) String() string {
	switch k {
	case kNumber:
		return "a number"
	case kBool:
		return "a boolean"
	case kNull:
		return "null"
	case kObject:
		return "an object"
	case kArray:
		return "an array"
	}
	return "a string"
}

// quote quotes s for a message, shortened to about 40 bytes.
func quote(s string) string {
	const max = 40
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}

// trimSpace trims ASCII spaces and tabs around numbers, labels and
// timestamps ("1, 2" is a common way to write CSV). It costs two byte
// comparisons when there is nothing to trim.
func trimSpace(s string) string {
	if s == "" || (s[0] != ' ' && s[0] != '\t' && s[len(s)-1] != ' ' && s[len(s)-1] != '\t') {
		return s
	}
	return strings.Trim(s, " \t")
}

// missingNum reports whether s spells a missing number. "NaN" and "nan"
// are not listed: strconv.ParseFloat reads them (in any case) as NaN,
// which means missing as well.
func missingNum(s string) bool {
	return s == "" || s == "NA" || s == "null"
}

// parseNum reads a numeric feature value: NaN for missing, else a finite
// float. msg is non-empty when the value is bad.
func parseNum(s string, k kind) (v float64, msg string) {
	switch k {
	case kNull:
		return math.NaN(), ""
	case kBool, kObject, kArray:
		return 0, "expected a number, got " + k.String()
	}
	s = trimSpace(s)
	if missingNum(s) {
		return math.NaN(), ""
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, quote(s) + " is not a number"
	}
	return v, ""
}
