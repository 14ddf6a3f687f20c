// libyaml, the reference YAML 1.1 parser (Debian's libyaml-dev): healthhost composes
// its event stream into nodes itself (Sources/HealthYAML).
#include <yaml.h>
