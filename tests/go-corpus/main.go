// Command go-corpus writes the Go oracle corpus that Airlock's Rust ports of
// Go standard-library output are checked against:
//
//   - compress/flate at BestSpeed (raw DEFLATE) and compress/gzip at
//     BestSpeed, for generated inputs (see inputs below; the inputs are not
//     written, only their SHA-256);
//   - the bytes archive/tar's Writer.WriteHeader emits for a list of headers
//     (imgpkg's and imagebuild's: Name, Size, Mode, Typeflag, every other
//     field zero), plus two small whole archives;
//   - encoding/json Marshal of tricky strings and of imgpkg's manifest.json
//     structs;
//   - go-yaml v2 Marshal of tricky strings (as a map value, a list item and
//     a map key) and of a few small documents, both directly and through
//     sigs.k8s.io/yaml's Marshal path (JSON, then yaml.Unmarshal, then
//     yaml.Marshal), which is what imgpkg calls.
//
// It is run by hand (see README.md and regenerate.sh), never by tests:
//
//	go run . -goyaml "<version note>" OUTDIR
//
// OUTDIR must not exist or be empty. MANIFEST.json in OUTDIR lists every
// case with its input, output file, output SHA-256 and length.
package main

import (
	"archive/tar"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"unicode/utf8"

	yaml "gopkg.in/yaml.v2"
)

// ---------------------------------------------------------------------------
// Inputs: the deterministic generator. tests/go-corpus/inputs.rs is the same
// algorithm in Rust; keep the two identical (MANIFEST.json records the
// SHA-256 of every generated input so a Rust test can check that).

// splitMix64 is Steele, Lea and Flood's SplitMix64.
type splitMix64 struct{ state uint64 }

func (s *splitMix64) next() uint64 {
	s.state += 0x9E3779B97F4A7C15
	z := s.state
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// Kinds and their seed tags: the seed of input(kind, size) is
// tag<<40 | size.
var kindTags = map[string]uint64{"text": 1, "random": 2, "repetitive": 3}

var kinds = []string{"text", "random", "repetitive"}

// words is the text kind's vocabulary: 32 entries, chosen by r % 32.
var words = [32]string{
	"apiVersion:", "kind:", "metadata:", "name:", "image:", "sha256", "digest", "bundle",
	"imgpkg", "carvel.dev", "the", "of", "and", "a", "to", "in",
	"is", "layer", "config", "tar", "gzip", "registry", "127.0.0.1:5000/src/app1", "v1alpha1",
	"-", "#", "=", "{", "}", "0", "42", "95cdec99a5b01a74bed240f40f9f59e7",
}

func input(kind string, size int) []byte {
	tag, ok := kindTags[kind]
	if !ok {
		panic("unknown input kind " + kind)
	}
	rng := splitMix64{state: tag<<40 | uint64(size)}
	out := make([]byte, 0, size+300)
	switch kind {
	case "random":
		for len(out) < size {
			r := rng.next()
			for i := 0; i < 8; i++ {
				out = append(out, byte(r>>(8*i)))
			}
		}
	case "text":
		for len(out) < size {
			r := rng.next()
			out = append(out, words[r%32]...)
			switch (r >> 8) % 16 {
			case 0:
				out = append(out, '\n')
			case 1:
				out = append(out, "\n  "...)
			case 2:
				out = append(out, ", "...)
			default:
				out = append(out, ' ')
			}
		}
	case "repetitive":
		for len(out) < size {
			r := rng.next()
			n := uint64(len(out))
			if n == 0 || r%16 == 0 {
				out = append(out, byte(r>>8))
				continue
			}
			var dist uint64
			if (r>>4)%2 == 0 {
				dist = 1 + (r>>8)%16
			} else {
				dist = 1 + (r>>8)%40000
			}
			if dist > n {
				dist = n
			}
			length := 1 + (r>>32)%300
			for i := uint64(0); i < length; i++ {
				out = append(out, out[uint64(len(out))-dist])
			}
		}
	}
	return out[:size]
}

var flateSizes = []int{0, 1, 16, 17, 127, 128, 4096, 65534, 65535, 65536, 204800, 1048576}

// ---------------------------------------------------------------------------
// Manifest

type manifest struct {
	Comment   []string `json:"comment"`
	GoVersion string   `json:"go_version"`
	GOOS      string   `json:"goos"`
	GOARCH    string   `json:"goarch"`
	GoYAML    string   `json:"go_yaml"`
	Inputs    string   `json:"inputs"`
	Tar       string   `json:"tar"`
	YAML      string   `json:"yaml"`
	Cases     []*entry `json:"cases"`
}

type entry struct {
	Family string `json:"family"`
	Name   string `json:"name"`
	// flate, gzip: the generated input.
	Generator string `json:"generator,omitempty"`
	Size      *int   `json:"size,omitempty"`
	// tar.
	Header  *tarHeader `json:"header,omitempty"`
	Entries []tarEntry `json:"entries,omitempty"`
	// json, yaml: the input string.
	Form  string  `json:"form,omitempty"`
	Hex   *string `json:"hex,omitempty"`
	Text  *string `json:"text,omitempty"`
	Value any     `json:"value,omitempty"`
	// flate, gzip, json, yaml: SHA-256 of the input bytes.
	InputSHA256 string `json:"input_sha256,omitempty"`

	Output       string `json:"output"`
	OutputSHA256 string `json:"output_sha256"`
	OutputLen    int    `json:"output_len"`

	// yaml: what sigs.k8s.io/yaml.Marshal gives for the same value.
	Sigs *sigsResult `json:"sigs_k8s_yaml,omitempty"`
}

type tarHeader struct {
	Name     string `json:"Name"`
	Size     int64  `json:"Size"`
	Mode     string `json:"Mode"`
	Typeflag string `json:"Typeflag"`
}

type tarEntry struct {
	tarHeader
	Body string `json:"body"`
}

type sigsResult struct {
	SameAsDirect bool   `json:"same_as_direct"`
	Output       string `json:"output,omitempty"`
	OutputSHA256 string `json:"output_sha256,omitempty"`
	OutputLen    int    `json:"output_len,omitempty"`
	Error        string `json:"error,omitempty"`
}

type writer struct {
	dir string
	m   manifest
	// seen holds every output path in lower case: the corpus must check out
	// on case-insensitive file systems too.
	seen map[string]bool
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func (w *writer) file(rel string, data []byte) {
	p := filepath.Join(w.dir, filepath.FromSlash(rel))
	check(os.MkdirAll(filepath.Dir(p), 0o755))
	if w.seen[strings.ToLower(rel)] {
		panic("output path written twice (ignoring case): " + rel)
	}
	w.seen[strings.ToLower(rel)] = true
	check(os.WriteFile(p, data, 0o644))
}

func (w *writer) add(e *entry, rel string, data []byte) {
	w.file(rel, data)
	e.Output = rel
	e.OutputSHA256 = sha(data)
	e.OutputLen = len(data)
	for _, o := range w.m.Cases {
		if o.Family == e.Family && o.Name == e.Name && o.Form == e.Form {
			panic("duplicate case " + e.Family + "/" + e.Form + "/" + e.Name)
		}
	}
	w.m.Cases = append(w.m.Cases, e)
}

func hexOf(s string) *string {
	h := hex.EncodeToString([]byte(s))
	return &h
}

func check(err error) {
	if err != nil {
		panic(err)
	}
}

// ---------------------------------------------------------------------------
// compress/flate and compress/gzip

func deflateBestSpeed(data []byte, chunks []int) []byte {
	return compressed(func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	}, data, chunks)
}

func gzipBestSpeed(data []byte, chunks []int) []byte {
	return compressed(func(w io.Writer) (io.WriteCloser, error) {
		return gzip.NewWriterLevel(w, gzip.BestSpeed)
	}, data, chunks)
}

// compressed writes data (see writeChunked) through the writer newWriter
// makes over a buffer, closes it, and returns the buffer's bytes.
func compressed(newWriter func(io.Writer) (io.WriteCloser, error), data []byte, chunks []int) []byte {
	var b bytes.Buffer
	w, err := newWriter(&b)
	check(err)
	writeChunked(w, data, chunks)
	check(w.Close())
	return b.Bytes()
}

// writeChunked writes data in one Write when chunks is nil, else in pieces
// of the given sizes, cycling.
func writeChunked(w interface{ Write([]byte) (int, error) }, data []byte, chunks []int) {
	if chunks == nil {
		_, err := w.Write(data)
		check(err)
		return
	}
	for i := 0; len(data) > 0; i++ {
		n := chunks[i%len(chunks)]
		if n > len(data) {
			n = len(data)
		}
		_, err := w.Write(data[:n])
		check(err)
		data = data[n:]
	}
}

// awkwardChunks is used only to check, here, that Go's output does not
// depend on how the input is split into Write calls (the Rust port takes
// the whole input at once and relies on that).
var awkwardChunks = []int{1, 7, 4093, 65535, 3, 65536, 100, 32768}

func writeFlate(w *writer) {
	for _, kind := range kinds {
		for _, size := range flateSizes {
			in := input(kind, size)
			name := fmt.Sprintf("%s-%d", kind, size)
			sz := size
			d := deflateBestSpeed(in, nil)
			if !bytes.Equal(d, deflateBestSpeed(in, awkwardChunks)) {
				panic("flate output depends on Write chunking: " + name)
			}
			w.add(&entry{Family: "flate", Name: name, Generator: kind, Size: &sz, InputSHA256: sha(in)},
				"flate/"+name+".deflate", d)
			g := gzipBestSpeed(in, nil)
			if !bytes.Equal(g, gzipBestSpeed(in, awkwardChunks)) {
				panic("gzip output depends on Write chunking: " + name)
			}
			w.add(&entry{Family: "gzip", Name: name, Generator: kind, Size: &sz, InputSHA256: sha(in)},
				"gzip/"+name+".gz", g)
		}
	}
}

// ---------------------------------------------------------------------------
// archive/tar

type tarCase struct {
	name     string
	hdrName  string
	size     int64
	mode     int64
	typeflag byte
}

func rep(s string, n int) string { return strings.Repeat(s, n) }

const (
	gib = int64(1) << 30
)

func tarCases() []tarCase {
	reg := func(name, hdrName string, size, mode int64) tarCase {
		return tarCase{name, hdrName, size, mode, tar.TypeReg}
	}
	dir := func(name, hdrName string) tarCase {
		return tarCase{name, hdrName, 0, 0o700, tar.TypeDir}
	}
	return []tarCase{
		// Names (regular files, mode 0644 as imgpkg writes them).
		reg("short", "manifest.json", 0, 0o644),
		reg("short-sized", "sha256-0123456789abcdef.tar.gz", 1234, 0o644),
		reg("name-1", "a", 0, 0o644),
		reg("name-99", "dir/"+rep("f", 95), 0, 0o644),
		reg("name-100", "dir/"+rep("f", 96), 0, 0o644),
		reg("name-100-noslash", rep("f", 100), 0, 0o644),
		reg("name-101-split", rep("d", 50)+"/"+rep("f", 50), 0, 0o644),
		reg("name-101-noslash-pax", rep("f", 101), 0, 0o644),
		reg("name-101-leading-slash-only-pax", "d/"+rep("f", 99), 0, 0o644),
		reg("name-split-prefix-155", rep("d", 155)+"/"+rep("f", 100), 0, 0o644),
		reg("name-split-prefix-156-pax", rep("d", 156)+"/"+rep("f", 99), 0, 0o644),
		reg("name-split-suffix-101-pax", rep("d", 20)+"/"+rep("f", 101), 0, 0o644),
		reg("name-split-last-slash-usable", rep("d", 100)+"/"+rep("e", 100)+"/"+rep("f", 50), 0, 0o644),
		reg("name-split-many-slashes", "a/b/c/"+rep("d", 60)+"/"+rep("e", 60)+"/f.yml", 0, 0o644),
		reg("name-256-split", rep("d", 155)+"/"+rep("f", 100), 5, 0o644),
		reg("name-257-pax", rep("d", 156)+"/"+rep("f", 100), 0, 0o644),
		reg("name-300-pax", rep("abcdefghi/", 30)+"z", 0, 0o644),
		reg("name-1100-pax", rep("0123456789/", 99)+"end.txt", 0, 0o644),
		reg("name-pax-truncated-at-slash", rep("d", 99)+"/"+rep("f", 101), 0, 0o644),
		reg("name-pax-truncated-at-double-slash", rep("d", 98)+"//"+rep("f", 101), 0, 0o644),
		reg("name-pax-record-len-crosses-100", "é"+rep("x", 89), 0, 0o644),
		reg("name-pax-record-len-crosses-1000", rep("y", 992), 0, 0o644),
		reg("name-nonascii-short", "dir/é.yml", 1, 0o644),
		reg("name-nonascii-root", "é.yml", 0, 0o644),
		reg("name-nonascii-cjk", "配置/文件.yaml", 0, 0o644),
		reg("name-nonascii-emoji", "x/😀", 0, 0o644),
		reg("name-nonascii-only", "é", 0, 0o644),
		reg("name-nonascii-long", rep("é", 60)+"/"+rep("ü", 60), 0, 0o644),
		reg("name-dot-slash", "./a.yml", 0, 0o644),
		reg("name-spaces", "with space/and\ttab.yml", 0, 0o644),
		// Sizes.
		reg("size-0", "f", 0, 0o644),
		reg("size-1", "f", 1, 0o644),
		reg("size-512", "f", 512, 0o644),
		reg("size-8gib-minus-1", "f", 8*gib-1, 0o644),
		reg("size-8gib-pax", "f", 8*gib, 0o644),
		reg("size-100gib-pax", "big/layer.tar.gz", 100*gib, 0o644),
		reg("size-8gib-and-long-name-pax", rep("n", 120), 8*gib, 0o644),
		reg("size-8gib-and-nonascii-name-pax", "dir/é", 8*gib+1, 0o644),
		// Modes.
		reg("mode-0644", "m", 3, 0o644),
		reg("mode-0600", "m", 3, 0o600),
		reg("mode-0755", "m", 3, 0o755),
		reg("mode-0700", "m", 3, 0o700),
		reg("mode-0", "m", 3, 0),
		reg("mode-07777", "m", 3, 0o7777),
		// Directories as imagebuild writes them (mode 0700, size 0).
		dir("dir-root", "."),
		dir("dir-short", "dir"),
		dir("dir-short-trailing-slash", "dir/"),
		dir("dir-nested", "a/b/c"),
		dir("dir-100-trailing-slash", rep("d", 99)+"/"),
		dir("dir-101-trailing-slash-pax", rep("d", 100)+"/"),
		dir("dir-split-trailing-slash", rep("d", 60)+"/"+rep("e", 60)+"/"),
		dir("dir-long-pax", rep("d", 160)+"/"+rep("e", 120)),
		dir("dir-nonascii", "é"),
		dir("dir-nonascii-trailing-slash", "é/"),
	}
}

func tarHeaderOf(c tarCase) *tar.Header {
	// Every field but these four is left zero, as imgpkg and imagebuild do:
	// ModTime is the zero time.Time, Uid/Gid 0, Uname/Gname "", Format
	// FormatUnknown (Go picks USTAR, else PAX).
	return &tar.Header{Name: c.hdrName, Size: c.size, Mode: c.mode, Typeflag: c.typeflag}
}

func descHeader(h *tar.Header) tarHeader {
	return tarHeader{Name: h.Name, Size: h.Size, Mode: fmt.Sprintf("%04o", h.Mode), Typeflag: string(rune(h.Typeflag))}
}

func writeTar(w *writer) {
	for _, c := range tarCases() {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		h := tarHeaderOf(c)
		check(tw.WriteHeader(h))
		// Only the header bytes: what WriteHeader wrote, before any data
		// (no body, no padding, no end-of-archive blocks).
		d := descHeader(h)
		w.add(&entry{Family: "tar", Name: c.name, Header: &d}, "tar/"+c.name+".tar", b.Bytes())
	}

	// Whole archives: headers, bodies, padding and Close's two zero blocks.
	type ent struct {
		h    *tar.Header
		body string
	}
	archives := []struct {
		name    string
		entries []ent
	}{
		{"archive-imgpkg", []ent{
			{&tar.Header{Name: "manifest.json", Mode: 0o644, Typeflag: tar.TypeReg}, `[{"Image":null}]`},
			{&tar.Header{Name: "sha256-aa.tar.gz", Mode: 0o644, Typeflag: tar.TypeReg}, rep("z", 512)},
			{&tar.Header{Name: "empty", Mode: 0o644, Typeflag: tar.TypeReg}, ""},
			{&tar.Header{Name: rep("long/", 30) + "name", Mode: 0o644, Typeflag: tar.TypeReg}, "x\n"},
		}},
		{"archive-imagebuild", []ent{
			{&tar.Header{Name: ".", Mode: 0o700, Typeflag: tar.TypeDir}, ""},
			{&tar.Header{Name: ".imgpkg", Mode: 0o700, Typeflag: tar.TypeDir}, ""},
			{&tar.Header{Name: ".imgpkg/images.yml", Mode: 0o600, Typeflag: tar.TypeReg}, "apiVersion: imgpkg.carvel.dev/v1alpha1\nkind: ImagesLock\n"},
			{&tar.Header{Name: "config", Mode: 0o700, Typeflag: tar.TypeDir}, ""},
			{&tar.Header{Name: "config/é.yml", Mode: 0o700, Typeflag: tar.TypeReg}, rep("0123456789abcdef", 40)},
		}},
	}
	for _, a := range archives {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		var descs []tarEntry
		for _, e := range a.entries {
			e.h.Size = int64(len(e.body))
			check(tw.WriteHeader(e.h))
			_, err := tw.Write([]byte(e.body))
			check(err)
			descs = append(descs, tarEntry{descHeader(e.h), e.body})
		}
		check(tw.Close())
		w.add(&entry{Family: "tar", Name: a.name, Entries: descs}, "tar/"+a.name+".tar", b.Bytes())
	}
}

// ---------------------------------------------------------------------------
// encoding/json

type jsonCase struct {
	name string
	s    string
}

func jsonCases() []jsonCase {
	var ctl strings.Builder
	for c := 0; c < 0x20; c++ {
		ctl.WriteByte(byte(c))
	}
	var all strings.Builder
	for c := 0; c < 0x100; c++ {
		all.WriteByte(byte(c))
	}
	cs := []jsonCase{
		{"empty", ""},
		{"ascii", "hello, world"},
		{"printable-ascii", func() string {
			var b strings.Builder
			for c := 0x20; c < 0x7f; c++ {
				b.WriteByte(byte(c))
			}
			return b.String()
		}()},
		{"quote", `"`},
		{"backslash", `\`},
		{"slash", "/a/b"},
		{"quotes-and-backslashes", `say "hi" \ and \"bye\"`},
		{"controls-all", ctl.String()},
		{"newline", "a\nb"},
		{"cr", "a\rb"},
		{"tab", "a\tb"},
		{"backspace", "a\bb"},
		{"formfeed", "a\fb"},
		{"nul", "\x00"},
		{"unit-separator", "\x1f"},
		{"escape", "\x1b[0m"},
		{"del", "\x7f"},
		{"lt", "<"},
		{"gt", ">"},
		{"amp", "&"},
		{"html", "<script>alert('x') && \"y\"</script>"},
		{"u2028", "\u2028"},
		{"u2029", "\u2029"},
		{"u2028-u2029-mixed", "a\u2028b\u2029c"},
		{"u2027-u202a-near-misses", "\u2027\u202a\u2020"},
		{"latin1", "é"},
		{"cjk", "日本語"},
		{"emoji", "😀"},
		{"emoji-zwj", "👩\u200d💻"},
		{"nbsp", "\u00a0"},
		{"nel", "\u0085"},
		{"bom", "\ufeff"},
		{"u-fffd", "\ufffd"},
		{"u-ffff", "\uffff"},
		{"max-rune", "\U0010ffff"},
		{"invalid-ff", "\xff"},
		{"invalid-fe", "\xfe"},
		{"invalid-lone-continuation", "\x80"},
		{"invalid-overlong-nul", "\xc0\x80"},
		{"invalid-overlong-slash", "\xe0\x80\xaf"},
		{"invalid-truncated-2", "\xc3"},
		{"invalid-truncated-3", "\xe2\x80"},
		{"invalid-truncated-3-then-ascii", "\xe2\x80a"},
		{"invalid-truncated-u2028", "\xe2\x80\xe2\x80\xa8"},
		{"invalid-surrogate", "\xed\xa0\x80"},
		{"invalid-surrogate-pair", "\xed\xa0\xbd\xed\xb8\x80"},
		{"invalid-above-max", "\xf4\x90\x80\x80"},
		{"invalid-truncated-4", "\xf0\x9f\x98"},
		{"invalid-5-byte", "\xf8\x88\x80\x80\x80"},
		{"invalid-mixed", "a\xffb\xc3(c\xe2\x28\xa1d"},
		{"invalid-before-escape", "\xff<\xfe\n"},
		{"all-bytes", all.String()},
		{"long-ascii", rep("abcdefghij", 1000)},
		{"long-mixed", rep("a<b>&\"\\\n\u2028é😀\xff\x01", 300)},
		{"oci-manifest", `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":"sha256:aa","size":1}}`},
		{"pretty-json", "{\n  \"a\": \"<b>\",\n  \"c\": [1, 2]\n}\n"},
	}
	return cs
}

// imgpkg's manifest.json types (pkg/imgpkg/imagedesc), fields in the same
// order and with the same Go types.
type imageOrImageIndexDescriptor struct {
	ImageIndex *imageIndexDescriptor
	Image      *imageDescriptor
}

type imageIndexDescriptor struct {
	Refs    []string
	Images  []imageDescriptor
	Indexes []imageIndexDescriptor

	MediaType string
	Digest    string
	Raw       string
	Tag       string
	OrigRef   string

	Labels map[string]string
}

type imageDescriptor struct {
	Refs   []string
	Layers []imageLayerDescriptor

	Config   configDescriptor
	Manifest manifestDescriptor
	Tag      string
	OrigRef  string
	Labels   map[string]string
}

type imageLayerDescriptor struct {
	MediaType string
	Digest    string
	DiffID    string
	Size      int64
}

type configDescriptor struct {
	Digest string
	Raw    string
}

type manifestDescriptor struct {
	MediaType string
	Digest    string
	Raw       string
}

func manifestJSONCases() []struct {
	name  string
	value []imageOrImageIndexDescriptor
} {
	d := func(c string) string { return "sha256:" + rep(c, 64) }
	img := imageDescriptor{
		Refs: []string{"127.0.0.1:5000/src/app1@" + d("a")},
		Layers: []imageLayerDescriptor{
			{MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Digest: d("b"), DiffID: d("c"), Size: 1234},
			{MediaType: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", Digest: d("d"), DiffID: "", Size: 9223372036854775807},
		},
		Config: configDescriptor{Digest: d("e"), Raw: `{"architecture":"amd64","config":{"Env":["A=<b>&c"]},"rootfs":{"type":"layers"}}`},
		Manifest: manifestDescriptor{
			MediaType: "application/vnd.oci.image.manifest.v1+json",
			Digest:    d("f"),
			Raw:       "{\n   \"schemaVersion\": 2,\n   \"annotations\": {\"x\": \"\u2028 \\\"q\\\" \t\"}\n}",
		},
		Tag:     "v1.0.0",
		OrigRef: "example.com/app@" + d("a"),
		Labels:  map[string]string{"dev.carvel.imgpkg.copy.root-bundle": ""},
	}
	bare := imageDescriptor{
		Refs:     []string{},
		Config:   configDescriptor{Digest: d("1"), Raw: "{}"},
		Manifest: manifestDescriptor{MediaType: "application/vnd.docker.distribution.manifest.v2+json", Digest: d("2"), Raw: "{}"},
		Labels:   map[string]string{},
	}
	idx := imageIndexDescriptor{
		Refs:      []string{"r/a@" + d("3"), "r/b@" + d("3")},
		Images:    []imageDescriptor{bare, img},
		Indexes:   []imageIndexDescriptor{{MediaType: "application/vnd.oci.image.index.v1+json", Digest: d("4"), Raw: `{"manifests":[]}`, Indexes: []imageIndexDescriptor{}}},
		MediaType: "application/vnd.oci.image.index.v1+json",
		Digest:    d("3"),
		Raw:       `{"manifests":[{"digest":"<&>"}]}`,
		Tag:       "",
		OrigRef:   "",
		Labels:    map[string]string{"z": "1", "a": "<x>", "é": "\u2029", "A": "", "a.b": "\x7f"},
	}
	return []struct {
		name  string
		value []imageOrImageIndexDescriptor
	}{
		{"manifest-json-empty", []imageOrImageIndexDescriptor{}},
		{"manifest-json-image", []imageOrImageIndexDescriptor{{Image: &img}}},
		{"manifest-json-bare-image", []imageOrImageIndexDescriptor{{Image: &bare}}},
		{"manifest-json-index", []imageOrImageIndexDescriptor{{ImageIndex: &idx}, {Image: &img}}},
	}
}

func writeJSON(w *writer) {
	for _, c := range jsonCases() {
		out, err := json.Marshal(c.s)
		check(err)
		e := &entry{Family: "json", Name: c.name, Form: "string", Hex: hexOf(c.s), InputSHA256: sha([]byte(c.s))}
		if utf8.ValidString(c.s) {
			e.Text = &c.s
		}
		w.add(e, "json/string/"+c.name+".json", out)
	}
	for _, c := range manifestJSONCases() {
		out, err := json.Marshal(c.value)
		check(err)
		// The value is the output itself; no separate input is recorded.
		w.add(&entry{Family: "json", Name: c.name, Form: "manifest.json"}, "json/manifest/"+c.name+".json", out)
	}
}

// ---------------------------------------------------------------------------
// go-yaml v2

type yamlCase struct {
	name string
	s    string
}

func yamlCases() []yamlCase {
	// long(n): n bytes of words of varying length separated by single
	// spaces, never ending in a space.
	long := func(n int) string {
		ws := []string{"lorem", "ipsum", "dolor", "sit", "amet,", "consectetur", "adipiscing", "elit", "sed", "do", "eiusmod"}
		var b strings.Builder
		for i := 0; b.Len() < n; i++ {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(ws[i%len(ws)])
		}
		s := b.String()[:n]
		if strings.HasSuffix(s, " ") {
			s = s[:n-1] + "x"
		}
		return s
	}
	// spaceAt(w): a first word of w bytes, then two words of 10: where the
	// first break falls relative to column 80 depends on w.
	spaceAt := func(w int) string { return rep("a", w) + " " + rep("b", 10) + " " + rep("c", 10) }
	cs := []yamlCase{
		{"empty", ""},
		{"space", " "},
		{"spaces", "  "},
		{"leading-space", " a"},
		{"trailing-space", "a "},
		{"both-spaces", " a "},
		{"inner-space", "a b"},
		{"plain-word", "hello"},
		{"yes", "yes"}, {"yes-title", "Yes"}, {"yes-upper", "YES"}, {"yes-mixed", "yES"},
		{"no", "no"}, {"no-title", "No"}, {"no-upper", "NO"},
		{"y", "y"}, {"y-upper", "Y"}, {"n", "n"}, {"n-upper", "N"},
		{"on", "on"}, {"on-title", "On"}, {"on-upper", "ON"},
		{"off", "off"}, {"off-title", "Off"}, {"off-upper", "OFF"},
		{"true", "true"}, {"true-title", "True"}, {"true-upper", "TRUE"}, {"true-mixed", "tRUE"},
		{"false", "false"}, {"false-title", "False"},
		{"tilde", "~"}, {"null", "null"}, {"null-title", "Null"}, {"null-upper", "NULL"}, {"null-mixed", "nULL"},
		{"int-1", "1"}, {"int-0", "0"}, {"int-neg", "-1"}, {"int-plus", "+1"},
		{"int-leading-zero", "0123"}, {"int-octal-0o", "0o17"}, {"int-09", "09"},
		{"int-hex", "0x1F"}, {"int-hex-bad", "0xG"}, {"int-bin", "0b101"},
		{"int-underscore", "1_000"}, {"int-comma", "1,000"}, {"int-big", "123456789012345678901234567890"},
		{"float-1.0", "1.0"}, {"float-.5", ".5"}, {"float-neg-.5", "-.5"}, {"float-1.", "1."},
		{"float-1e3", "1e3"}, {"float-1e3-upper", "1E3"}, {"float-1.5e+3", "1.5e+3"}, {"float-e", "e"},
		{"float-inf", ".inf"}, {"float-neg-inf-title", "-.Inf"}, {"float-nan-title", ".NaN"}, {"nan-word", "NaN"},
		{"infinity-word", "infinity"}, {"dot", "."}, {"plus", "+"},
		{"base60-1:20", "1:20"}, {"base60-neg", "-1:20"}, {"base60-3", "190:20:30"}, {"base60-float", "1:20.5"},
		{"time-hm", "12:30"},
		{"date", "2001-12-14"}, {"date-short-month", "2001-1-14"},
		{"timestamp-t", "2001-12-14t21:59:43.10-05:00"},
		{"timestamp-space", "2001-12-14 21:59:43.10 -5"},
		{"timestamp-z", "2002-12-14T10:00:00Z"},
		{"colon-space", "a: b"}, {"colon-nospace", "a:b"}, {"colon-end", "a:"}, {"colon-only", ":"},
		{"colon-lead-space", ": x"}, {"colon-lead", ":x"},
		{"url", "http://x"}, {"image-ref", "127.0.0.1:5000/src/app1@sha256:95cdec99a5b01a74bed240f40f9f59e7"},
		{"label-key", "kbld.carvel.dev/id"},
		{"hash", "#"}, {"hash-word", "#x"}, {"space-hash", " #"}, {"inner-space-hash", "a #b"}, {"inner-hash", "a#b"},
		{"dash-space", "- x"}, {"dash-word", "-x"}, {"dash", "-"},
		{"question-space", "? x"}, {"question-word", "?x"}, {"question", "?"},
		{"single-quote", "'"}, {"double-quote", `"`}, {"apostrophe", "it's"}, {"say-hi", `say "hi"`},
		{"single-quoted", "'quoted'"}, {"double-quoted", `"dq"`}, {"backslash", `a\b`},
		{"newline-only", "\n"}, {"newlines-only", "\n\n"},
		{"newline-inner", "a\nb"}, {"newline-trailing", "a\n"}, {"newlines-trailing", "a\n\n"},
		{"newline-inner-trailing", "a\nb\n"}, {"newline-leading", "\na"}, {"newline-leading-space", " a\nb"},
		{"newline-space-before", "a \nb"}, {"newline-space-after", "a\n b"}, {"newline-three-lines", "line1\nline2\nline3\n"},
		{"newline-trailing-spaces", "a  \n"}, {"newline-blank-line", "a\n\nb\n"}, {"newline-indented", "a\n  b\n    c\n"},
		{"newline-yaml-doc", "apiVersion: v1\nkind: ConfigMap\n"}, {"crlf", "a\r\nb"}, {"cr", "a\rb"},
		{"long-79", long(79)}, {"long-80", long(80)}, {"long-81", long(81)}, {"long-100", long(100)},
		{"long-200", long(200)}, {"long-no-spaces-120", rep("x", 120)},
		{"long-space-at-74", spaceAt(74)}, {"long-space-at-75", spaceAt(75)}, {"long-space-at-76", spaceAt(76)},
		{"long-space-at-80", spaceAt(80)},
		{"long-double-spaces", rep("ab  ", 30)},
		{"long-single-quoted", "x: " + long(120)},
		{"long-double-quoted", "😀 " + long(120)},
		{"long-with-newline", long(100) + "\n" + long(90)},
		{"long-key-128", rep("k", 128)}, {"long-key-129", rep("k", 129)},
		{"latin1", "é"}, {"cjk", "日本語"}, {"emoji", "😀"}, {"emoji-inner", "a😀b"},
		{"nel", "\u0085"}, {"nel-inner", "a\u0085b"}, {"bom", "\ufeff"}, {"bom-inner", "a\ufeffb"},
		{"nbsp", "\u00a0"}, {"u2028", "\u2028"}, {"u2028-inner", "a\u2028b"}, {"ufffe", "\ufffe"}, {"u-d7ff", "\ud7ff"},
		{"u-e000", "\ue000"},
		{"tab-leading", "\ttab"}, {"tab-inner", "a\tb"}, {"tab-trailing", "tab\t"},
		{"ctl-01", "\x01"}, {"ctl-esc", "a\x1bb"}, {"del", "\x7f"},
		{"doc-start", "---"}, {"doc-start-word", "--- x"}, {"doc-start-4", "----"},
		{"doc-end", "..."}, {"doc-end-word", "... x"},
		{"at", "@x"}, {"backquote", "`x"}, {"percent", "%x"}, {"bang", "!x"}, {"amp", "&x"}, {"star", "*x"},
		{"pipe", "|x"}, {"gt", ">x"}, {"lbracket", "[x"}, {"rbracket", "]x"}, {"lbrace", "{x"}, {"rbrace", "}x"},
		{"comma", ",x"}, {"inner-comma", "a,b"}, {"flow-seq", "[a]"}, {"flow-map", "{a: b}"},
		{"equals", "="}, {"merge", "<<"}, {"dollar", "$x"}, {"lt", "<x>"},
		{"colon-space-trailing", "x: "},
	}
	return cs
}

// yamlDocs are small documents of the JSON data model the Rust emitter
// takes (maps, lists, strings, booleans, null).
func yamlDocs() []struct {
	name string
	v    any
} {
	m := func(kv ...any) map[string]any {
		out := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1]
		}
		return out
	}
	l := func(vs ...any) []any { return append([]any{}, vs...) } // never nil: nil would be JSON null
	return []struct {
		name string
		v    any
	}{
		{"key-order", m("b", "1", "a", "1", "B", "1", "A", "1", "a10", "1", "a9", "1", "a1", "1", "a01", "1",
			"_x", "1", "1", "1", "10", "1", "9", "1", "é", "1", "z", "1", "aa", "1", "a-b", "1", "a.b", "1", "", "1", "a b", "1")},
		{"images-lock", m("apiVersion", "imgpkg.carvel.dev/v1alpha1", "kind", "ImagesLock",
			"images", l(m("image", "127.0.0.1:5000/src/app1@sha256:95cd", "annotations", m("kbld.carvel.dev/id", "app1:1.0", "x", "1:20"))))},
		{"bundle-metadata", m("apiVersion", "imgpkg.carvel.dev/v1alpha1", "kind", "BundleMetadata",
			"metadata", m("name", "my-bundle"), "authors", l(m("name", "A", "email", "a@example.com")),
			"websites", l(m("url", "https://example.com")))},
		{"empty-map", m()}, {"empty-list-value", m("images", l())}, {"empty-map-value", m("annotations", m())},
		{"null-value", m("x", nil)}, {"bools", m("t", true, "f", false)},
		{"nested-lists", m("a", l(l("x", "y"), l(), m(), nil, true, "- z"))},
		{"literal-in-nested", m("a", m("b", m("c", "line1\nline2\n", "d", l("x\ny", " lead\n"))))},
		{"top-list", l("a", m("b", "c", "d", l("e")), l("f"))},
		{"top-string", "just a string"}, {"top-null", nil},
		{"long-in-nested", m("a", m("b", l(strings.Repeat("word ", 30)+"end")))},
		{"multiline-key", m("a\nb", "v", "c", "d")},
	}
}

// sigsMarshal is sigs.k8s.io/yaml v1.4.0's Marshal: encoding/json, then
// JSONToYAML (yaml.Unmarshal into interface{}, yaml.Marshal).
func sigsMarshal(v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var obj any
	if err := yaml.Unmarshal(j, &obj); err != nil {
		return nil, err
	}
	return yaml.Marshal(obj)
}

func (w *writer) addYAML(e *entry, dir string, v any) {
	direct, err := yaml.Marshal(v)
	check(err)
	rel := "yaml/" + dir + "/" + e.Name
	s := &sigsResult{}
	if out, err := sigsMarshal(v); err != nil {
		s.Error = err.Error()
	} else if bytes.Equal(out, direct) {
		s.SameAsDirect = true
	} else {
		s.Output = rel + ".sigs.yaml"
		s.OutputSHA256 = sha(out)
		s.OutputLen = len(out)
		w.file(s.Output, out)
	}
	e.Sigs = s
	w.add(e, rel+".yaml", direct)
}

func writeYAML(w *writer) {
	for _, c := range yamlCases() {
		if !utf8.ValidString(c.s) {
			panic("yaml case is not UTF-8: " + c.name)
		}
		forms := []struct {
			form string
			v    any
		}{
			{"value", map[string]any{"key": c.s}},
			{"list", []any{c.s}},
			{"key", map[string]any{c.s: "v"}},
		}
		for _, f := range forms {
			e := &entry{Family: "yaml", Name: c.name, Form: f.form, Hex: hexOf(c.s), Text: &c.s, InputSHA256: sha([]byte(c.s))}
			w.addYAML(e, f.form, f.v)
		}
	}
	for _, d := range yamlDocs() {
		e := &entry{Family: "yaml", Name: d.name, Form: "doc", Value: wrapValue(d.v)}
		w.addYAML(e, "doc", d.v)
	}
}

// wrapValue records a document in the manifest as {"doc": value}, so that a
// null document is still visible despite omitempty.
func wrapValue(v any) any { return map[string]any{"doc": v} }

// ---------------------------------------------------------------------------

func main() {
	goyaml := flag.String("goyaml", "", "the go-yaml v2 version being built against (recorded in MANIFEST.json)")
	anyGo := flag.Bool("any-go", false, "run with a Go other than 1.23 (the output must then not be committed)")
	flag.Parse()
	if flag.NArg() != 1 || *goyaml == "" {
		fmt.Fprintln(os.Stderr, "usage: go-corpus -goyaml VERSION-NOTE OUTDIR")
		os.Exit(2)
	}
	if !strings.HasPrefix(runtime.Version(), "go1.23.") && !*anyGo {
		fmt.Fprintf(os.Stderr, "go-corpus: built with %s; the corpus must come from Go 1.23 (imgpkg 0.43.1's toolchain)\n", runtime.Version())
		os.Exit(1)
	}
	dir := flag.Arg(0)
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		fmt.Fprintf(os.Stderr, "go-corpus: %s is not empty\n", dir)
		os.Exit(1)
	}
	w := &writer{dir: dir, seen: map[string]bool{}, m: manifest{
		Comment: []string{
			"Written by tests/go-corpus/main.go (see tests/go-corpus/README.md); do not edit by hand.",
			"Each case: family, name, its input, and the output file (relative to this directory) with its SHA-256 and length.",
		},
		GoVersion: runtime.Version(),
		GOOS:      runtime.GOOS,
		GOARCH:    runtime.GOARCH,
		GoYAML:    *goyaml,
		Inputs: "flate/gzip inputs are not stored: input(generator, size) is tests/go-corpus/inputs.rs " +
			"(same algorithm as main.go); input_sha256 is the SHA-256 of the generated bytes. " +
			"Outputs are flate.NewWriter(w, flate.BestSpeed) resp. gzip.NewWriterLevel(w, gzip.BestSpeed) " +
			"(default Header), one Write of the whole input, Close. The generator also checked that writing " +
			"the input in Write calls of sizes 1, 7, 4093, 65535, 3, 65536, 100, 32768 (cycling) gives the same bytes.",
		Tar: "tar/<case>.tar for a case with 'header' is exactly what tar.Writer.WriteHeader wrote for " +
			"tar.Header{Name, Size, Mode, Typeflag} (every other field zero: ModTime zero time.Time, Uid/Gid 0, " +
			"Uname/Gname empty, Format unknown): the PAX extended header with its records and padding if Go " +
			"used one, then the entry's header block; no data, no padding, no end-of-archive blocks. A case with " +
			"'entries' is a whole archive: WriteHeader, Write(body) for each entry (Size = len(body)), Close.",
		YAML: "yaml/<form>/<case>.yaml is yaml.Marshal of the value: form 'value' {\"key\": s}, 'list' [s], " +
			"'key' {s: \"v\"}, 'doc' the manifest's value.doc. sigs_k8s_yaml is what sigs.k8s.io/yaml v1.4.0's " +
			"Marshal (json.Marshal, yaml.Unmarshal into interface{}, yaml.Marshal: imgpkg's path) gives for the same " +
			"value: the same bytes, other bytes (<case>.sigs.yaml), or an error.",
	}}
	writeFlate(w)
	writeTar(w)
	writeJSON(w)
	writeYAML(w)

	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	check(enc.Encode(&w.m))
	w.file("MANIFEST.json", b.Bytes())
	fmt.Printf("go-corpus: %d cases written to %s with %s\n", len(w.m.Cases), dir, runtime.Version())
}
