package delivery

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"orgqa/internal/config"
)

// Message is one email: a Vietnamese subject and body, one attachment.
type Message struct {
	Subject    string
	Body       string // plain text, UTF-8
	Attachment string // path of the file to attach; "" for none
	Date       time.Time
}

// Send delivers m over SMTP as the config says: STARTTLS (required unless
// turned off), then authentication when a username is set, then one message
// to every recipient. Every step is bounded by the timeout.
func Send(cfg *config.Email, m Message) error {
	body, err := compose(cfg, m)
	if err != nil {
		return err
	}
	timeout := time.Duration(cfg.TimeoutSec) * time.Second
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", addr, err)
	}
	conn.SetDeadline(time.Now().Add(timeout))
	c, err := smtp.NewClient(conn, cfg.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp %s: %w", addr, err)
	}
	defer c.Close()
	hostname, _ := os.Hostname()
	if hostname == "" {
		hostname = "localhost"
	}
	if err := c.Hello(hostname); err != nil {
		return fmt.Errorf("smtp %s: hello: %w", addr, err)
	}
	if cfg.UseStartTLS() {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("smtp %s: the server does not offer STARTTLS (set \"starttls\": false to send in clear text)", addr)
		}
		tc := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
		if cfg.CAFile != "" {
			pem, err := os.ReadFile(cfg.CAFile)
			if err != nil {
				return fmt.Errorf("smtp: ca_file: %w", err)
			}
			tc.RootCAs = x509.NewCertPool()
			if !tc.RootCAs.AppendCertsFromPEM(pem) {
				return fmt.Errorf("smtp: ca_file %s: no certificate in it", cfg.CAFile)
			}
		}
		if err := c.StartTLS(tc); err != nil {
			return fmt.Errorf("smtp %s: starttls: %w", addr, err)
		}
	}
	if cfg.Username != "" {
		pass, err := cfg.Password()
		if err != nil {
			return err
		}
		if err := c.Auth(smtp.PlainAuth("", cfg.Username, pass, cfg.Host)); err != nil {
			return fmt.Errorf("smtp %s: auth: %w", addr, err)
		}
	}
	from, _ := mail.ParseAddress(cfg.From)
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("smtp %s: from: %w", addr, err)
	}
	for _, to := range cfg.To {
		a, _ := mail.ParseAddress(to)
		if err := c.Rcpt(a.Address); err != nil {
			return fmt.Errorf("smtp %s: recipient %s: %w", addr, a.Address, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp %s: data: %w", addr, err)
	}
	if _, err := w.Write(body); err != nil {
		w.Close()
		return fmt.Errorf("smtp %s: data: %w", addr, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp %s: message refused: %w", addr, err)
	}
	return c.Quit()
}

// compose writes the message: UTF-8 text and a base64 attachment, headers
// encoded for non-ASCII (RFC 2047).
func compose(cfg *config.Email, m Message) ([]byte, error) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	// addresses rewritten by net/mail: a display name in Vietnamese is
	// RFC 2047-encoded, and the recipients go in one To field (RFC 5322)
	addr := func(s string) (string, error) {
		a, err := mail.ParseAddress(s)
		if err != nil {
			return "", fmt.Errorf("address %q: %w", s, err)
		}
		return a.String(), nil
	}
	from, err := addr(cfg.From)
	if err != nil {
		return nil, err
	}
	h("From", from)
	var to []string
	for _, s := range cfg.To {
		a, err := addr(s)
		if err != nil {
			return nil, err
		}
		to = append(to, a)
	}
	h("To", strings.Join(to, ", "))
	h("Subject", mime.BEncoding.Encode("utf-8", m.Subject))
	if m.Date.IsZero() {
		m.Date = time.Now()
	}
	h("Date", m.Date.Format(time.RFC1123Z))
	h("MIME-Version", "1.0")
	h("Content-Type", "multipart/mixed; boundary="+mw.Boundary())
	b.WriteString("\r\n")
	part, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {"text/plain; charset=utf-8"},
		"Content-Transfer-Encoding": {"base64"},
	})
	if err != nil {
		return nil, err
	}
	if err := writeBase64(part, []byte(m.Body)); err != nil {
		return nil, err
	}
	if m.Attachment != "" {
		data, err := os.ReadFile(m.Attachment)
		if err != nil {
			return nil, fmt.Errorf("email: attachment: %w", err)
		}
		name := filepath.Base(m.Attachment)
		part, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {`application/vnd.openxmlformats-officedocument.spreadsheetml.sheet; name="` + name + `"`},
			"Content-Disposition":       {`attachment; filename="` + name + `"`},
			"Content-Transfer-Encoding": {"base64"},
		})
		if err != nil {
			return nil, err
		}
		if err := writeBase64(part, data); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeBase64 writes data in base64 lines of 76 characters (RFC 2045).
func writeBase64(w interface{ Write([]byte) (int, error) }, data []byte) error {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 0 {
		n := min(76, len(enc))
		if _, err := w.Write([]byte(enc[:n] + "\r\n")); err != nil {
			return err
		}
		enc = enc[n:]
	}
	return nil
}

// ErrNoWorkbook means there was nothing to send.
var ErrNoWorkbook = errors.New("no province workbook was published")
