// originalDst(fd): the destination a connection had before an iptables REDIRECT/TPROXY rule sent it
// to us, read from the kernel's conntrack entry with getsockopt(SO_ORIGINAL_DST) for IPv4 (also on
// a dual-stack socket whose peer is v4-mapped) or getsockopt(IP6T_SO_ORIGINAL_DST) for IPv6.
#include <napi.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>

// From <linux/netfilter_ipv4.h> and <linux/netfilter_ipv6/ip6_tables.h>; both are 80, defined
// here so the build does not depend on kernel headers that clash with glibc's in C++.
#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80
#endif

namespace {

const char* ErrnoName(int err) {
  switch (err) {
    case ENOENT: return "ENOENT";  // no conntrack entry: the connection was not redirected
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EBADF: return "EBADF";
    case ENOTSOCK: return "ENOTSOCK";
    case EINVAL: return "EINVAL";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ENOTCONN: return "ENOTCONN";
    default: return "EUNKNOWN";
  }
}

Napi::Value ThrowErrno(Napi::Env env, int err, const char* call) {
  Napi::Error error = Napi::Error::New(env, std::string(call) + ": " + std::strerror(err));
  error.Set("code", Napi::String::New(env, ErrnoName(err)));
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("syscall", Napi::String::New(env, call));
  error.ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value OriginalDst(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "originalDst(fd): fd must be a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int fd = info[0].As<Napi::Number>().Int32Value();

  sockaddr_storage local{};
  socklen_t localLen = sizeof(local);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &localLen) != 0) return ThrowErrno(env, errno, "getsockname");
  const bool v6 = local.ss_family == AF_INET6;
  const bool mapped = v6 && IN6_IS_ADDR_V4MAPPED(&reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr);

  Napi::Object out = Napi::Object::New(env);
  char text[INET6_ADDRSTRLEN] = {0};
  if (!v6 || mapped) {
    // An IPv4 connection, also when accepted on a dual-stack (::) socket: its conntrack entry is
    // IPv4, so the IPv4 option at SOL_IP answers.
    sockaddr_in dst{};
    socklen_t len = sizeof(dst);
    if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &dst, &len) != 0) return ThrowErrno(env, errno, "getsockopt(SO_ORIGINAL_DST)");
    inet_ntop(AF_INET, &dst.sin_addr, text, sizeof(text));
    out.Set("address", Napi::String::New(env, text));
    out.Set("port", Napi::Number::New(env, ntohs(dst.sin_port)));
    out.Set("family", Napi::Number::New(env, 4));
  } else {
    sockaddr_in6 dst{};
    socklen_t len = sizeof(dst);
    if (getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &dst, &len) != 0) return ThrowErrno(env, errno, "getsockopt(IP6T_SO_ORIGINAL_DST)");
    inet_ntop(AF_INET6, &dst.sin6_addr, text, sizeof(text));
    out.Set("address", Napi::String::New(env, text));
    out.Set("port", Napi::Number::New(env, ntohs(dst.sin6_port)));
    out.Set("family", Napi::Number::New(env, 6));
  }
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("originalDst", Napi::Function::New(env, OriginalDst, "originalDst"));
  return exports;
}

}  // namespace

NODE_API_MODULE(original_dst, Init)
