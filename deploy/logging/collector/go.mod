module tend.health/deploy/logging/collector

go 1.26

require (
	github.com/open-telemetry/opentelemetry-collector-contrib/exporter/opensearchexporter v0.141.0
	github.com/open-telemetry/opentelemetry-collector-contrib/receiver/filelogreceiver v0.141.0
	go.opentelemetry.io/collector/component v1.47.0
	go.opentelemetry.io/collector/confmap v1.47.0
	go.opentelemetry.io/collector/confmap/provider/envprovider v1.47.0
	go.opentelemetry.io/collector/confmap/provider/fileprovider v1.47.0
	go.opentelemetry.io/collector/exporter v1.47.0
	go.opentelemetry.io/collector/otelcol v0.141.0
	go.opentelemetry.io/collector/receiver v1.47.0
	go.opentelemetry.io/collector/service v0.141.0
)

require (
	github.com/beorn7/perks v1.0.1 // indirect
	github.com/bmatcuk/doublestar/v4 v4.9.1 // indirect
	github.com/cenkalti/backoff/v4 v4.3.0 // indirect
	github.com/cenkalti/backoff/v5 v5.0.3 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/davecgh/go-spew v1.1.1 // indirect
	github.com/ebitengine/purego v0.9.0 // indirect
	github.com/elastic/go-structform v0.0.12 // indirect
	github.com/elastic/lunes v0.2.0 // indirect
	github.com/expr-lang/expr v1.17.6 // indirect
	github.com/felixge/httpsnoop v1.0.4 // indirect
	github.com/foxboron/go-tpm-keyfiles v0.0.0-20250903184740-5d135037bd4d // indirect
	github.com/fsnotify/fsnotify v1.9.0 // indirect
	github.com/go-logr/logr v1.4.3 // indirect
	github.com/go-logr/stdr v1.2.2 // indirect
	github.com/go-ole/go-ole v1.2.6 // indirect
	github.com/go-viper/mapstructure/v2 v2.4.0 // indirect
	github.com/gobwas/glob v0.2.3 // indirect
	github.com/goccy/go-json v0.10.5 // indirect
	github.com/golang/snappy v1.0.0 // indirect
	github.com/google/go-tpm v0.9.7 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/grafana/regexp v0.0.0-20240518133315-a468a5bfb3bc // indirect
	github.com/grpc-ecosystem/grpc-gateway/v2 v2.27.2 // indirect
	github.com/hashicorp/go-version v1.7.0 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/jonboulle/clockwork v0.5.0 // indirect
	github.com/json-iterator/go v1.1.12 // indirect
	github.com/klauspost/compress v1.18.1 // indirect
	github.com/knadh/koanf/maps v0.1.2 // indirect
	github.com/knadh/koanf/providers/confmap v1.0.0 // indirect
	github.com/knadh/koanf/v2 v2.3.0 // indirect
	github.com/leodido/go-syslog/v4 v4.3.0 // indirect
	github.com/leodido/ragel-machinery v0.0.0-20190525184631-5f46317e436b // indirect
	github.com/lufia/plan9stats v0.0.0-20211012122336-39d0f177ccd0 // indirect
	github.com/magefile/mage v1.15.0 // indirect
	github.com/mitchellh/copystructure v1.2.0 // indirect
	github.com/mitchellh/reflectwalk v1.0.2 // indirect
	github.com/modern-go/concurrent v0.0.0-20180306012644-bacd9c7ef1dd // indirect
	github.com/modern-go/reflect2 v1.0.3-0.20250322232337-35a7c28c31ee // indirect
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
	github.com/open-telemetry/opentelemetry-collector-contrib/internal/coreinternal v0.141.0 // indirect
	github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza v0.141.0 // indirect
	github.com/opensearch-project/opensearch-go/v4 v4.5.0 // indirect
	github.com/pierrec/lz4/v4 v4.1.22 // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
	github.com/power-devops/perfstat v0.0.0-20240221224432-82ca36839d55 // indirect
	github.com/prometheus/client_golang v1.23.2 // indirect
	github.com/prometheus/client_model v0.6.2 // indirect
	github.com/prometheus/common v0.67.1 // indirect
	github.com/prometheus/otlptranslator v0.0.2 // indirect
	github.com/prometheus/procfs v0.17.0 // indirect
	github.com/rs/cors v1.11.1 // indirect
	github.com/shirou/gopsutil/v4 v4.25.10 // indirect
	github.com/spf13/cobra v1.10.1 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
	github.com/stretchr/testify v1.11.1 // indirect
	github.com/tklauser/go-sysconf v0.3.15 // indirect
	github.com/tklauser/numcpus v0.10.0 // indirect
	github.com/valyala/fastjson v1.6.4 // indirect
	github.com/yusufpapurcu/wmi v1.2.4 // indirect
	go.opentelemetry.io/auto/sdk v1.2.1 // indirect
	go.opentelemetry.io/collector/client v1.47.0 // indirect
	go.opentelemetry.io/collector/component/componentstatus v0.141.0 // indirect
	go.opentelemetry.io/collector/component/componenttest v0.141.0 // indirect
	go.opentelemetry.io/collector/config/configauth v1.47.0 // indirect
	go.opentelemetry.io/collector/config/configcompression v1.47.0 // indirect
	go.opentelemetry.io/collector/config/confighttp v0.141.0 // indirect
	go.opentelemetry.io/collector/config/configmiddleware v1.47.0 // indirect
	go.opentelemetry.io/collector/config/configopaque v1.47.0 // indirect
	go.opentelemetry.io/collector/config/configoptional v1.47.0 // indirect
	go.opentelemetry.io/collector/config/configretry v1.47.0 // indirect
	go.opentelemetry.io/collector/config/configtelemetry v0.141.0 // indirect
	go.opentelemetry.io/collector/config/configtls v1.47.0 // indirect
	go.opentelemetry.io/collector/confmap/xconfmap v0.141.0 // indirect
	go.opentelemetry.io/collector/connector v0.141.0 // indirect
	go.opentelemetry.io/collector/connector/connectortest v0.141.0 // indirect
	go.opentelemetry.io/collector/connector/xconnector v0.141.0 // indirect
	go.opentelemetry.io/collector/consumer v1.47.0 // indirect
	go.opentelemetry.io/collector/consumer/consumererror v0.141.0 // indirect
	go.opentelemetry.io/collector/consumer/consumertest v0.141.0 // indirect
	go.opentelemetry.io/collector/consumer/xconsumer v0.141.0 // indirect
	go.opentelemetry.io/collector/exporter/exporterhelper v0.141.0 // indirect
	go.opentelemetry.io/collector/exporter/exportertest v0.141.0 // indirect
	go.opentelemetry.io/collector/exporter/xexporter v0.141.0 // indirect
	go.opentelemetry.io/collector/extension v1.47.0 // indirect
	go.opentelemetry.io/collector/extension/extensionauth v1.47.0 // indirect
	go.opentelemetry.io/collector/extension/extensioncapabilities v0.141.0 // indirect
	go.opentelemetry.io/collector/extension/extensionmiddleware v0.141.0 // indirect
	go.opentelemetry.io/collector/extension/extensiontest v0.141.0 // indirect
	go.opentelemetry.io/collector/extension/xextension v0.141.0 // indirect
	go.opentelemetry.io/collector/featuregate v1.47.0 // indirect
	go.opentelemetry.io/collector/internal/fanoutconsumer v0.141.0 // indirect
	go.opentelemetry.io/collector/internal/telemetry v0.141.0 // indirect
	go.opentelemetry.io/collector/pdata v1.47.0 // indirect
	go.opentelemetry.io/collector/pdata/pprofile v0.141.0 // indirect
	go.opentelemetry.io/collector/pdata/testdata v0.141.0 // indirect
	go.opentelemetry.io/collector/pdata/xpdata v0.141.0 // indirect
	go.opentelemetry.io/collector/pipeline v1.47.0 // indirect
	go.opentelemetry.io/collector/pipeline/xpipeline v0.141.0 // indirect
	go.opentelemetry.io/collector/processor v1.47.0 // indirect
	go.opentelemetry.io/collector/processor/processortest v0.141.0 // indirect
	go.opentelemetry.io/collector/processor/xprocessor v0.141.0 // indirect
	go.opentelemetry.io/collector/receiver/receiverhelper v0.141.0 // indirect
	go.opentelemetry.io/collector/receiver/receivertest v0.141.0 // indirect
	go.opentelemetry.io/collector/receiver/xreceiver v0.141.0 // indirect
	go.opentelemetry.io/collector/service/hostcapabilities v0.141.0 // indirect
	go.opentelemetry.io/contrib/bridges/otelzap v0.13.0 // indirect
	go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp v0.63.0 // indirect
	go.opentelemetry.io/contrib/otelconf v0.18.0 // indirect
	go.opentelemetry.io/contrib/propagators/b3 v1.38.0 // indirect
	go.opentelemetry.io/otel v1.38.0 // indirect
	go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc v0.14.0 // indirect
	go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp v0.14.0 // indirect
	go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc v1.38.0 // indirect
	go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp v1.38.0 // indirect
	go.opentelemetry.io/otel/exporters/otlp/otlptrace v1.38.0 // indirect
	go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc v1.38.0 // indirect
	go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp v1.38.0 // indirect
	go.opentelemetry.io/otel/exporters/prometheus v0.60.0 // indirect
	go.opentelemetry.io/otel/exporters/stdout/stdoutlog v0.14.0 // indirect
	go.opentelemetry.io/otel/exporters/stdout/stdoutmetric v1.38.0 // indirect
	go.opentelemetry.io/otel/exporters/stdout/stdouttrace v1.38.0 // indirect
	go.opentelemetry.io/otel/log v0.14.0 // indirect
	go.opentelemetry.io/otel/metric v1.38.0 // indirect
	go.opentelemetry.io/otel/sdk v1.38.0 // indirect
	go.opentelemetry.io/otel/sdk/log v0.14.0 // indirect
	go.opentelemetry.io/otel/sdk/metric v1.38.0 // indirect
	go.opentelemetry.io/otel/trace v1.38.0 // indirect
	go.opentelemetry.io/proto/otlp v1.7.1 // indirect
	go.uber.org/multierr v1.11.0 // indirect
	go.uber.org/zap v1.27.1 // indirect
	go.yaml.in/yaml/v2 v2.4.3 // indirect
	go.yaml.in/yaml/v3 v3.0.4 // indirect
	golang.org/x/crypto v0.45.0 // indirect
	golang.org/x/exp v0.0.0-20240909161429-701f63a606c0 // indirect
	golang.org/x/net v0.47.0 // indirect
	golang.org/x/sys v0.38.0 // indirect
	golang.org/x/text v0.31.0 // indirect
	gonum.org/v1/gonum v0.16.0 // indirect
	google.golang.org/genproto/googleapis/api v0.0.0-20251022142026-3a174f9686a8 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20251022142026-3a174f9686a8 // indirect
	google.golang.org/grpc v1.77.0 // indirect
	google.golang.org/protobuf v1.36.10 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
