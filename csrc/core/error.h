// Errors: PG_CHECK raises "[op] message" as one of four kinds the bindings map to Python exceptions.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace pygrad {

enum class ErrorKind { ValueError, TypeError, IndexError, RuntimeError };

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

namespace detail {
inline void stream_all(std::ostringstream&) {}
template <class T>
void stream_one(std::ostringstream& s, const T& v) {
  s << v;
}
template <class T>
void stream_one(std::ostringstream& s, const std::vector<T>& v) {
  s << "[";
  for (size_t i = 0; i < v.size(); ++i) s << (i ? ", " : "") << v[i];
  s << "]";
}
template <class T, class... Rest>
void stream_all(std::ostringstream& s, const T& v, const Rest&... rest) {
  stream_one(s, v);
  stream_all(s, rest...);
}
template <class... Args>
[[noreturn]] void throw_error(ErrorKind kind, const char* op, const Args&... args) {
  std::ostringstream s;
  s << "[" << op << "] ";
  stream_all(s, args...);
  throw Error(kind, s.str());
}
}  // namespace detail

}  // namespace pygrad

#define PG_THROW(kind, op, ...) ::pygrad::detail::throw_error(::pygrad::ErrorKind::kind, op, __VA_ARGS__)
#define PG_CHECK(cond, kind, op, ...)             \
  do {                                            \
    if (!(cond)) PG_THROW(kind, op, __VA_ARGS__); \
  } while (0)
