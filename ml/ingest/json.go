package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/freshet/freshet/ml"
)

// ParseNDJSON reads observations for m from newline-delimited JSON: one
// object per line, blank lines skipped. Keys are matched like ParseCSV's
// columns; every feature key must be present, but null means missing.
// Numeric features take numbers or numeric strings; categorical features
// take strings, numbers (their literal text: 3 is "3") and booleans. Issues
// carry the line and the character column of the offending value, or of
// the object when a key is missing.
func ParseNDJSON(r io.Reader, m *ml.Model, opt Options) (*ml.Batch, error) {
	sc, err := observationSchema(m, opt)
	if err != nil {
		return nil, err
	}
	b := newBuilder(m, opt, sc)
	if err := parseNDJSON(r, b); err != nil {
		return nil, err
	}
	return b.batch()
}

// ParseJSON reads observations for m from a JSON array of objects, or from
// an object {"observations": [...]}. Objects follow ParseNDJSON's rules.
func ParseJSON(r io.Reader, m *ml.Model, opt Options) (*ml.Batch, error) {
	sc, err := observationSchema(m, opt)
	if err != nil {
		return nil, err
	}
	b := newBuilder(m, opt, sc)
	if err := parseJSON(r, b, "observations"); err != nil {
		return nil, err
	}
	return b.batch()
}

// ParseLabelsNDJSON reads late labels for m, one object per line with the
// entity id key (m.Entity, or "entity") and the label key (m.Label, or
// "label").
func ParseLabelsNDJSON(r io.Reader, m *ml.Model, opt Options) (*ml.LabelBatch, error) {
	b := newBuilder(m, opt, labelSchema(m))
	if err := parseNDJSON(r, b); err != nil {
		return nil, err
	}
	return b.labelBatch()
}

// ParseLabelsJSON reads late labels for m from a JSON array of objects, or
// from an object {"labels": [...]}, each object as in ParseLabelsNDJSON.
func ParseLabelsJSON(r io.Reader, m *ml.Model, opt Options) (*ml.LabelBatch, error) {
	b := newBuilder(m, opt, labelSchema(m))
	if err := parseJSON(r, b, "labels"); err != nil {
		return nil, err
	}
	return b.labelBatch()
}

// parseNDJSON feeds NDJSON to b. It returns only reader errors.
func parseNDJSON(r io.Reader, b *builder) error {
	er := &errReader{r: r}
	br := newBOMReader(er)
	o := newObjReader(b)
	var long []byte
	line := 0
	for !b.stopped {
		buf, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long[:0], buf...)
			for err == bufio.ErrBufferFull {
				buf, err = br.ReadSlice('\n')
				long = append(long, buf...)
			}
			buf = long
		}
		if len(buf) > 0 {
			line++
			o.line(buf, line)
		}
		if err != nil {
			if er.err != nil {
				return readErr(er.err)
			}
			if err != io.EOF {
				return readErr(err)
			}
			break
		}
	}
	if er.err != nil {
		return readErr(er.err)
	}
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// line reads one NDJSON line.
func (o *objReader) line(buf []byte, line int) {
	lead := 0
	for lead < len(buf) && isSpace(buf[lead]) {
		lead++
	}
	end := len(buf)
	for end > lead && isSpace(buf[end-1]) {
		end--
	}
	if lead == end {
		return // blank line
	}
	t := buf[lead:end]
	loc := locator{line: line, col: 1, base: buf, skip: lead}
	if !json.Valid(t) {
		var v json.RawMessage
		err := json.Unmarshal(t, &v)
		pos := int64(len(t))
		var se *json.SyntaxError
		if errors.As(err, &se) {
			pos = syntaxOffset(se, len(t))
		}
		ln, col := loc.at(int(pos))
		o.b.fail(ml.Issue{Line: ln, Col: col, Msg: "bad JSON: " + errMsg(err)})
		return
	}
	if t[0] != '{' {
		o.b.fail(ml.Issue{Line: line, Col: loc.col0(), Msg: "expected a JSON object, got " + jsonKind(t).String()})
		return
	}
	o.object(t, loc)
}

func errMsg(err error) string {
	if err == nil {
		return "invalid JSON"
	}
	return err.Error()
}

// parseJSON feeds a JSON array of objects, or {wrapper: [...]}, to b. It
// returns only reader errors.
func parseJSON(r io.Reader, b *builder, wrapper string) error {
	p := &posReader{r: r, line: 1, col: 1}
	br := bufio.NewReaderSize(p, bufSize)
	var base int64 // bytes dropped before the decoder's offset 0 (a BOM)
	if bom, err := br.Peek(3); err == nil && bom[0] == 0xEF && bom[1] == 0xBB && bom[2] == 0xBF {
		br.Discard(3)
		p.seek(3)
		p.col = 1
		base = 3
	}
	dec := json.NewDecoder(br)
	o := newObjReader(b)
	shape := fmt.Sprintf("expected a JSON array of objects or {%q: [...]}", wrapper)

	// bad reports a decoder error: a reader error, or an issue.
	bad := func(err error) error {
		if p.err != nil {
			return readErr(p.err)
		}
		at := base + dec.InputOffset()
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			at = p.syntaxError(at)
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			at = p.end()
			err = errors.New("unexpected end of input")
		case errors.As(err, &te):
			// Token decodes a number where a '[' or '{' belongs into a
			// float64; this one does not fit. The decoder stopped after it.
			at = p.numberStart(at)
			err = errors.New("number out of range")
		}
		line, col := p.seek(at)
		b.fail(ml.Issue{Line: line, Col: col, Msg: "bad JSON: " + err.Error()})
		return nil
	}

	tok, err := dec.Token()
	if err == io.EOF {
		if p.err != nil {
			return readErr(p.err)
		}
		return nil // no rows
	}
	if err != nil {
		return bad(err)
	}
	switch tok {
	case json.Delim('['):
		if err := o.array(dec, p, base); err != nil {
			return bad(err)
		}
	case json.Delim('{'):
		found := false
		for !b.stopped && dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return bad(err)
			}
			key, _ := tok.(string)
			if key != wrapper || found {
				msg := fmt.Sprintf("unknown key %s: %s", quote(key), shape)
				if found {
					msg = "duplicate key " + quote(key)
				}
				line, col := p.seek(tokenStart(p, key, base+dec.InputOffset()))
				b.fail(ml.Issue{Line: line, Col: col, Field: key, Msg: msg})
				return nil
			}
			found = true
			if tok, err := dec.Token(); err != nil {
				return bad(err)
			} else if tok != json.Delim('[') {
				line, col := p.seek(tokenStart(p, tok, base+dec.InputOffset()))
				b.fail(ml.Issue{Line: line, Col: col, Field: key, Msg: fmt.Sprintf("%q must be an array of objects", wrapper)})
				return nil
			}
			if err := o.array(dec, p, base); err != nil {
				return bad(err)
			}
		}
		if b.stopped {
			return nil
		}
		if _, err := dec.Token(); err != nil { // the closing '}'
			return bad(err)
		}
	default:
		line, col := p.seek(tokenStart(p, tok, base+dec.InputOffset()))
		b.fail(ml.Issue{Line: line, Col: col, Msg: shape})
		return nil
	}
	if b.stopped {
		return nil
	}
	if tok, err := dec.Token(); err != io.EOF {
		if err != nil {
			return bad(err)
		}
		line, col := p.seek(tokenStart(p, tok, base+dec.InputOffset()))
		b.fail(ml.Issue{Line: line, Col: col, Msg: "unexpected data after the JSON value"})
		return nil
	}
	if p.err != nil {
		return readErr(p.err)
	}
	return nil
}

// tokenStart returns where the token tok, which ends at offset end,
// starts (for a string with escapes, roughly).
func tokenStart(p *posReader, tok json.Token, end int64) int64 {
	switch tok := tok.(type) {
	case json.Delim:
		return end - 1
	case string:
		return end - int64(len(tok)) - 2
	case bool:
		if tok {
			return end - 4
		}
		return end - 5
	case nil:
		return end - 4
	}
	return p.numberStart(end)
}

// array reads the elements of a JSON array whose '[' dec has read, and
// its ']'. It returns decoder errors.
func (o *objReader) array(dec *json.Decoder, p *posReader, base int64) error {
	b := o.b
	for dec.More() {
		if b.stopped {
			return nil
		}
		o.raw = o.raw[:0]
		if err := dec.Decode(&o.raw); err != nil {
			return err
		}
		start := dec.InputOffset() - int64(len(o.raw))
		line, col := p.seek(base + start)
		if o.raw[0] != '{' {
			b.fail(ml.Issue{Line: line, Col: col, Msg: "expected a JSON object, got " + jsonKind(o.raw).String()})
			continue
		}
		o.object(o.raw, locator{line: line, col: col, base: o.raw})
	}
	_, err := dec.Token() // the closing ']'
	return err
}

// objReader reads JSON objects into a builder.
type objReader struct {
	b     *builder
	seen  []uint32 // per column: the stamp of the last object that had it
	stamp uint32
	raw   json.RawMessage
}

func newObjReader(b *builder) *objReader {
	return &objReader{b: b, seen: make([]uint32, len(b.sc.cols))}
}

// locator finds the line and character column of a byte of an object,
// counting from a known position: base[0] is at line, col and the object
// starts at base[skip]. It is used only to report issues, so it scans.
type locator struct {
	line, col int
	base      []byte
	skip      int
}

// at returns the position of the object's byte rel.
func (l locator) at(rel int) (line, col int) {
	line, col = l.line, l.col
	for _, c := range l.base[:min(l.skip+rel, len(l.base))] {
		if c == '\n' {
			line, col = line+1, 1
		} else if utf8.RuneStart(c) {
			col++
		}
	}
	return line, col
}

// col0 returns the column of the object's first byte.
func (l locator) col0() int {
	_, col := l.at(0)
	return col
}

// object reads one JSON object, valid JSON starting with '{', as a row.
func (o *objReader) object(raw []byte, loc locator) {
	b := o.b
	line := loc.line
	if b.tooMany(line) {
		return
	}
	i := b.addRow(line, true)
	o.stamp++
	if o.stamp == 0 { // wrapped: clear old stamps
		clear(o.seen)
		o.stamp = 1
	}
	s := objScanner{b: raw, i: 1}
	for {
		key, keyOff, val, valOff, ok := s.next()
		if !ok {
			break
		}
		ci, known := b.sc.byName[string(key[1:len(key)-1])]
		if !known && bytes.IndexByte(key, '\\') >= 0 {
			ci, known = b.sc.byName[unquote(key)]
		}
		if !known {
			name := unquote(key)
			ln, col := loc.at(keyOff)
			if b.fail(ml.Issue{Line: ln, Col: col, Field: name, Msg: unknownMsg(b.sc, "key", name)}) {
				return
			}
			continue
		}
		c := &b.sc.cols[ci]
		if o.seen[ci] == o.stamp {
			ln, col := loc.at(keyOff)
			if b.fail(ml.Issue{Line: ln, Col: col, Field: c.name, Msg: "duplicate key " + quote(c.name)}) {
				return
			}
			continue
		}
		o.seen[ci] = o.stamp
		switch c.kind {
		case colLabel:
			b.enableLabel()
		case colEntity:
			b.enableEntity()
		}
		k := jsonKind(val)
		var text string
		switch k {
		case kText:
			text = unquote(val)
		case kNumber, kBool:
			text = string(val)
		}
		if msg := b.set(c, i, text, k, line); msg != "" {
			ln, col := loc.at(valOff)
			if b.fail(ml.Issue{Line: ln, Col: col, Field: c.name, Msg: msg}) {
				return
			}
		}
	}
	for ci := range b.sc.cols {
		c := &b.sc.cols[ci]
		if c.required && o.seen[ci] != o.stamp {
			if b.fail(ml.Issue{Line: line, Col: loc.col0(), Field: c.name, Msg: "missing key " + quote(c.name)}) {
				return
			}
		}
	}
}

// jsonKind is the kind of a valid JSON value.
func jsonKind(v []byte) kind {
	switch v[0] {
	case '"':
		return kText
	case 'n':
		return kNull
	case 't', 'f':
		return kBool
	case '{':
		return kObject
	case '[':
		return kArray
	}
	return kNumber
}

// unquote returns the text of a valid JSON string. A string that is not
// valid UTF-8 keeps its bytes (and escapes), so that the check for valid
// UTF-8 catches it, rather than having them replaced silently.
func unquote(v []byte) string {
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') < 0 || !utf8.Valid(inner) {
		return string(inner)
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return string(inner)
	}
	return s
}

// objScanner walks the members of a JSON object already checked to be
// valid, so it needs no error handling: it finds where keys and values
// start and end.
type objScanner struct {
	b []byte
	i int
}

// next returns the next member's key (quoted) and value, with their
// offsets in the object, or ok false after the last member.
func (s *objScanner) next() (key []byte, keyOff int, val []byte, valOff int, ok bool) {
	b := s.b
	i := skipSpace(b, s.i)
	if i < len(b) && b[i] == ',' {
		i = skipSpace(b, i+1)
	}
	if i >= len(b) || b[i] != '"' {
		s.i = len(b)
		return nil, 0, nil, 0, false
	}
	j := endString(b, i)
	key, keyOff = b[i:j], i
	i = skipSpace(b, j)
	if i < len(b) && b[i] == ':' {
		i = skipSpace(b, i+1)
	}
	j = endValue(b, i)
	if j <= i {
		s.i = len(b)
		return nil, 0, nil, 0, false
	}
	val, valOff = b[i:j], i
	s.i = j
	return key, keyOff, val, valOff, true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// endString returns the index after the string that starts at b[i].
func endString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// endValue returns the index after the value that starts at b[i].
func endValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return endString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = endString(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	j := i
	for j < len(b) && !isSpace(b[j]) && b[j] != ',' && b[j] != '}' && b[j] != ']' {
		j++
	}
	return j
}

// posReader passes reads through, remembers the first reader error, and
// keeps the bytes read but not yet passed by seek, to turn the decoder's
// byte offsets into lines and character columns. Offsets only move
// forward, so it holds little more than the decoder's read-ahead.
type posReader struct {
	r     io.Reader
	err   error
	buf   []byte
	start int   // buf[start:] has not been passed
	off   int64 // offset of buf[start]
	line  int   // position of off
	col   int
}

func (p *posReader) Read(q []byte) (int, error) {
	n, err := p.r.Read(q)
	if n > 0 {
		if p.start > 0 && p.start >= len(p.buf)/2 {
			k := copy(p.buf, p.buf[p.start:])
			p.buf = p.buf[:k]
			p.start = 0
		}
		p.buf = append(p.buf, q[:n]...)
	}
	if err != nil && err != io.EOF && p.err == nil {
		p.err = err
	}
	return n, err
}

// syntaxError finds the offset of a syntax error at or after offset o,
// where the decoder stopped. The decoder's own SyntaxError.Offset cannot
// be used: within a value it counts only the bytes its scanner saw, not
// the delimiters Token consumed. So the bytes from o are decoded again on
// their own, where the offset is exact. If they decode, or end early (the
// decoder may have read no further than the bad byte), the error, such as
// a missing comma, is at o itself.
func (p *posReader) syntaxError(o int64) int64 {
	if o < p.off || o > p.end() {
		return o
	}
	rest := p.buf[p.start+int(o-p.off):]
	var raw json.RawMessage
	err := json.NewDecoder(bytes.NewReader(rest)).Decode(&raw)
	var se *json.SyntaxError
	if errors.As(err, &se) && !strings.HasPrefix(se.Error(), "unexpected end") {
		return o + syntaxOffset(se, len(rest))
	}
	return o
}

// numberStart returns the offset where the number that ends at offset o
// starts.
func (p *posReader) numberStart(o int64) int64 {
	if o < p.off || o > p.end() {
		return o
	}
	i := p.start + int(o-p.off)
	for i > p.start && strings.IndexByte("0123456789+-.eE", p.buf[i-1]) >= 0 {
		i--
	}
	return p.off + int64(i-p.start)
}

// syntaxOffset turns the Offset of a SyntaxError from decoding n bytes,
// the count of bytes read including the bad one, into the offset of the
// bad byte, or n for an unexpected end.
func syntaxOffset(se *json.SyntaxError, n int) int64 {
	if se.Offset >= int64(n) && strings.HasPrefix(se.Error(), "unexpected end") {
		return int64(n)
	}
	return min(max(se.Offset-1, 0), int64(n))
}

// end is the offset after the last byte read.
func (p *posReader) end() int64 { return p.off + int64(len(p.buf)-p.start) }

// seek moves to offset o, which must not be behind the last seek, and
// returns its line and character column.
func (p *posReader) seek(o int64) (line, col int) {
	k := int(min(max(o-p.off, 0), int64(len(p.buf)-p.start)))
	for _, c := range p.buf[p.start : p.start+k] {
		if c == '\n' {
			p.line, p.col = p.line+1, 1
		} else if utf8.RuneStart(c) {
			p.col++
		}
	}
	p.start += k
	p.off += int64(k)
	return p.line, p.col
}
