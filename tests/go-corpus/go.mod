module airlock.invalid/go-corpus

go 1.23

require gopkg.in/yaml.v2 v2.4.0

replace gopkg.in/yaml.v2 => /usr/share/gocode/src/gopkg.in/yaml.v2
