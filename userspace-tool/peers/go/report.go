// SPDX-License-Identifier: GPL-2.0

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// A result line: "goproxy WHAT name=value ...", or with --json one JSON
// object per line with the same names ("what" for WHAT), in the same
// order. Names and the meaning of values never change; new names may be
// added at the end of a line.
type field struct {
	name  string
	value interface{} // string, int, int64 or float64
}

type line struct {
	what   string
	fields []field
}

func (l *line) add(name string, value interface{}) *line {
	l.fields = append(l.fields, field{name, value})
	return l
}

func formatValue(v interface{}) string {
	switch x := v.(type) {
	case float64:
		return fmt.Sprintf("%.2f", x)
	case []string:
		if len(x) == 0 {
			return "-"
		}
		return strings.Join(x, ",")
	default:
		return fmt.Sprint(x)
	}
}

func (l *line) write(w io.Writer, asJSON bool) {
	if !asJSON {
		var b strings.Builder
		b.WriteString("goproxy ")
		b.WriteString(l.what)
		for _, f := range l.fields {
			fmt.Fprintf(&b, " %s=%s", f.name, formatValue(f.value))
		}
		fmt.Fprintln(w, b.String())
		return
	}
	var b bytes.Buffer
	b.WriteString(`{"what":`)
	writeJSON(&b, l.what)
	for _, f := range l.fields {
		b.WriteByte(',')
		writeJSON(&b, f.name)
		b.WriteByte(':')
		if x, ok := f.value.(float64); ok {
			// two decimals, as in the text line
			fmt.Fprintf(&b, "%.2f", x)
		} else {
			writeJSON(&b, f.value)
		}
	}
	b.WriteString("}\n")
	w.Write(b.Bytes())
}

func writeJSON(b *bytes.Buffer, v interface{}) {
	if s, ok := v.([]string); ok && s == nil {
		v = []string{}
	}
	out, _ := json.Marshal(v)
	b.Write(out)
}

func status(ok bool) string {
	if ok {
		return "ok"
	}
	return "fail"
}
