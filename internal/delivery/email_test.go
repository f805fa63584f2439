package delivery

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"orgqa/internal/config"
	"orgqa/internal/smtptest"
)

func emailConfig(srv *smtptest.Server, port int) *config.Email {
	return &config.Email{Host: srv.Host, Port: port, Username: "orgqa", PasswordEnv: "ORGQA_TEST_SMTP_PASSWORD",
		From: "Ban Tổ chức Tỉnh ủy <orgqa@btctu.test>", To: []string{"lanh.dao@btctu.test", "Văn phòng Ban <van.phong@btctu.test>"}, CAFile: srv.CAFile, TimeoutSec: 5}
}

// TestSendOverSTARTTLS sends a message with a workbook attached to a real SMTP
// server on loopback (STARTTLS, PLAIN auth) and reads it back as a mail reader would.
func TestSendOverSTARTTLS(t *testing.T) {
	srv := smtptest.Start(t, "orgqa", "mật-khẩu")
	t.Setenv("ORGQA_TEST_SMTP_PASSWORD", "mật-khẩu")
	book := filepath.Join(t.TempDir(), "tong-hop-tccs-2025.xlsx")
	content := bytes.Repeat([]byte("PK\x03\x04 workbook bytes "), 500)
	os.WriteFile(book, content, 0o644)
	msg := Message{Subject: "Báo cáo tổng hợp chất lượng tổ chức cơ sở đảng năm 2025", Body: "Kính gửi các đồng chí,\n1.296 tổ chức",
		Attachment: book, Date: time.Date(2026, 12, 2, 1, 30, 0, 0, time.UTC)}
	if err := Send(emailConfig(srv, srv.Port), msg); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 || got[0].From != "orgqa@btctu.test" || strings.Join(got[0].To, ",") != "lanh.dao@btctu.test,van.phong@btctu.test" {
		t.Fatalf("server got %+v", got)
	}
	m, err := mail.ReadMessage(bytes.NewReader(got[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil || subject != msg.Subject {
		t.Errorf("subject %q (%v), want %q", subject, err, msg.Subject)
	}
	// display names in Vietnamese travel RFC 2047-encoded: the header bytes are ASCII
	head := got[0].Data[:bytes.Index(got[0].Data, []byte("\r\n\r\n"))]
	for _, c := range head {
		if c >= 0x80 {
			t.Fatalf("a header holds raw non-ASCII bytes:\n%s", head)
		}
	}
	from, err := m.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Ban Tổ chức Tỉnh ủy" {
		t.Errorf("From %v (%v)", from, err)
	}
	to, err := m.Header.AddressList("To")
	if err != nil || len(to) != 2 || to[1].Name != "Văn phòng Ban" || to[1].Address != "van.phong@btctu.test" || len(m.Header["To"]) != 1 {
		t.Errorf("To %v (%v), %d To fields; want two recipients in one field, the name decoded", to, err, len(m.Header["To"]))
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	var parts [][]byte
	var names []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(p)
		dec, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(raw), "\r\n", ""))
		if err != nil {
			t.Fatal(err)
		}
		parts, names = append(parts, dec), append(names, p.FileName())
	}
	if len(parts) != 2 || string(parts[0]) != msg.Body || !bytes.Equal(parts[1], content) || names[1] != "tong-hop-tccs-2025.xlsx" {
		t.Errorf("parts %q, names %q: want the body and the workbook", parts, names)
	}
}

// TestSendFailures: a wrong password, recipients refused and a server that is
// down each give an error naming what failed, and nothing is delivered.
func TestSendFailures(t *testing.T) {
	srv := smtptest.Start(t, "orgqa", "right")
	cases := []struct {
		name, pass string
		refuse     bool
		port       int
		want       string
	}{
		{"wrong password", "wrong", false, srv.Port, "auth"},
		{"recipients refused", "right", true, srv.Port, "recipient lanh.dao@btctu.test"},
		{"server down", "right", false, smtptest.ClosedPort(t), "connection refused"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("ORGQA_TEST_SMTP_PASSWORD", c.pass)
			srv.RefuseRecipients = c.refuse
			err := Send(emailConfig(srv, c.port), Message{Subject: "x", Body: "y"})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages delivered, want none", n)
	}
}

// TestSendRefusesUntrustedCertificate: a server whose certificate no trusted CA
// signed is refused before the password is sent.
func TestSendRefusesUntrustedCertificate(t *testing.T) {
	srv := smtptest.Start(t, "orgqa", "right")
	t.Setenv("ORGQA_TEST_SMTP_PASSWORD", "right")
	cfg := emailConfig(srv, srv.Port)
	cfg.CAFile = "" // the system roots do not know the test certificate
	if err := Send(cfg, Message{Subject: "x", Body: "y"}); err == nil || !strings.Contains(err.Error(), "starttls") {
		t.Errorf("error %v, want a STARTTLS certificate error", err)
	}
}
