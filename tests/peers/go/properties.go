package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// The -X keys this peer honours; any other key is rejected.
const (
	keyClientID         = "client.id"
	keySecurityProtocol = "security.protocol"
	keySaslMechanism    = "sasl.mechanism"
	keySaslUsername     = "sasl.username"
	keySaslPassword     = "sasl.password"
	keySslCaLocation    = "ssl.ca.location"
	// The Java client's names for a PEM trust store, accepted so one set of -X properties
	// serves both peers: ssl.truststore.location is ssl.ca.location when the type is PEM.
	keySslTruststoreLocation = "ssl.truststore.location"
	keySslTruststoreType     = "ssl.truststore.type"
)

// connection is the validated client id and security taken from the -X properties.
type connection struct {
	clientID  string
	protocol  string // PLAINTEXT, SASL_PLAINTEXT, SSL or SASL_SSL
	mechanism string // PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (SASL protocols only)
	username  string
	password  string
	caFile    string // PEM bundle of trusted CAs (SSL protocols only); system roots when empty
}

// parseConnection reads the -X properties, rejecting unknown keys and contradictory settings.
func parseConnection(props properties) (connection, error) {
	s := connection{clientID: "ottla-go-peer", protocol: "PLAINTEXT"}
	var mechanismSet bool
	truststoreType := ""
	for _, p := range props {
		switch p.key {
		case keyClientID:
			s.clientID = p.value
		case keySecurityProtocol:
			s.protocol = strings.ToUpper(p.value)
			switch s.protocol {
			case "PLAINTEXT", "SASL_PLAINTEXT", "SSL", "SASL_SSL":
			default:
				return s, usagef("-X %s=%s: expected PLAINTEXT, SASL_PLAINTEXT, SSL or SASL_SSL", p.key, p.value)
			}
		case keySaslMechanism:
			s.mechanism = strings.ToUpper(p.value)
			mechanismSet = true
			switch s.mechanism {
			case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
			default:
				return s, usagef("-X %s=%s: expected PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", p.key, p.value)
			}
		case keySaslUsername:
			s.username = p.value
		case keySaslPassword:
			s.password = p.value
		case keySslCaLocation, keySslTruststoreLocation:
			s.caFile = p.value
		case keySslTruststoreType:
			truststoreType = strings.ToUpper(p.value)
		default:
			return s, usagef("-X %s: not supported by the franz-go peer (supported: %s, %s, %s, %s, %s, %s, and %s with %s=PEM)",
				p.key, keyClientID, keySecurityProtocol, keySaslMechanism, keySaslUsername, keySaslPassword, keySslCaLocation,
				keySslTruststoreLocation, keySslTruststoreType)
		}
	}
	if truststoreType != "" && truststoreType != "PEM" {
		return s, usagef("-X %s=%s: the franz-go peer reads PEM trust stores only", keySslTruststoreType, truststoreType)
	}
	sasl := s.protocol == "SASL_PLAINTEXT" || s.protocol == "SASL_SSL"
	ssl := s.protocol == "SSL" || s.protocol == "SASL_SSL"
	if sasl {
		if !mechanismSet {
			s.mechanism = "PLAIN" // Kafka's default sasl.mechanism
		}
		if s.username == "" {
			return s, usagef("security.protocol=%s needs -X %s (and %s)", s.protocol, keySaslUsername, keySaslPassword)
		}
	} else if mechanismSet || s.username != "" || s.password != "" {
		return s, usagef("sasl.* properties need security.protocol SASL_PLAINTEXT or SASL_SSL (got %s)", s.protocol)
	}
	if !ssl && s.caFile != "" {
		return s, usagef("%s needs security.protocol SSL or SASL_SSL (got %s)", keySslCaLocation, s.protocol)
	}
	return s, nil
}

// opts turns the settings into kgo options.
func (s connection) opts() ([]kgo.Opt, error) {
	opts := []kgo.Opt{kgo.ClientID(s.clientID)}
	if s.protocol == "SSL" || s.protocol == "SASL_SSL" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if s.caFile != "" {
			pem, err := os.ReadFile(s.caFile)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", keySslCaLocation, err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("%s: no PEM certificate in %s", keySslCaLocation, s.caFile)
			}
			cfg.RootCAs = pool
		}
		// kgo sets ServerName from the broker's host on every dial.
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}
	switch s.mechanism {
	case "":
	case "PLAIN":
		opts = append(opts, kgo.SASL(plain.Auth{User: s.username, Pass: s.password}.AsMechanism()))
	case "SCRAM-SHA-256":
		opts = append(opts, kgo.SASL(scram.Auth{User: s.username, Pass: s.password}.AsSha256Mechanism()))
	case "SCRAM-SHA-512":
		opts = append(opts, kgo.SASL(scram.Auth{User: s.username, Pass: s.password}.AsSha512Mechanism()))
	}
	return opts, nil
}

// clientOpts is the seed brokers, client id and security of b, followed by extra.
func (b *brokerFlags) clientOpts(extra ...kgo.Opt) ([]kgo.Opt, error) {
	conn, err := parseConnection(b.props)
	if err != nil {
		return nil, err
	}
	connOpts, err := conn.opts()
	if err != nil {
		return nil, err
	}
	opts := append([]kgo.Opt{kgo.SeedBrokers(strings.Split(b.bootstrap, ",")...)}, connOpts...)
	return append(opts, extra...), nil
}

// pingTimeout bounds the first round trip a new client makes.
const pingTimeout = 15 * time.Second

// newClient connects a kgo client for b with extra options. It pings the cluster first: kgo
// itself retries a refused TLS handshake or SASL login for as long as a request may wait, and
// the peer should fail with that error instead.
func (b *brokerFlags) newClient(extra ...kgo.Opt) (*kgo.Client, error) {
	opts, err := b.clientOpts(extra...)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kgo client: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
	defer cancel()
	if err := cl.Ping(ctx); err != nil {
		cl.Close()
		return nil, fmt.Errorf("cannot reach %s: %w", b.bootstrap, err)
	}
	return cl, nil
}
