// Package audittest helps test code that writes or consumes audit records.
//
// [Run] is a conformance kit for [audit.Sink] implementations, modelled on
// testing/slogtest: it writes a fixed set of records through a fresh sink
// for each case and checks what comes out (key names, values, omitted zero
// values, free attributes, redaction, concurrent writes). Every sink shipped
// by package audit passes it; a third-party sink (an OpenTelemetry log
// exporter, a database table) should too:
//
//	func TestMySink(t *testing.T) {
//		audittest.Run(t, func(t *testing.T) (audit.Sink, func() []map[string]any) {
//			var buf bytes.Buffer
//			sink := mysink.New(&buf)
//			return sink, func() []map[string]any {
//				recs, err := audittest.JSONLines(buf.Bytes())
//				if err != nil {
//					t.Fatal(err)
//				}
//				return recs
//			}
//		})
//	}
//
// [Recorder] is an in-memory sink for tests of handlers and middleware that
// annotate records (authentication, organization guards): put an
// audit.Auditor whose Config.Sink is the recorder in front of the handler
// under test and inspect [Recorder.Records] after the request.
//
// Like testing/slogtest, this package is meant for tests only.
package audittest
