// Internal to agent/session: the stream handlers and the local audit file.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/link/dispatch.h"
#include "agent/session/session.h"
#include "common/audit/audit.h"
#include "common/session/session.h"

namespace helpline::agent::session {

// Base of every session stream handler: registers with its session, and is
// told when the session ends.
class SessionChannel : public ChannelHandler {
 public:
  SessionChannel(SessionManager& manager, std::string session_id, ChannelStream stream,
                 std::string kind);
  ~SessionChannel() override;
  // The session ended: reset the stream with `reason` and stop everything.
  virtual void terminate(const std::string& reason);

 protected:
  // Resets the stream with "code: message" and records why.
  void refuse(const std::string& code, const std::string& message);
  void touch() { manager_.touch(session_id_); }
  // Writes all of `bytes` or keeps the rest in out_ for on_writable();
  // false when the stream failed (it is reset then).
  bool send(std::string_view bytes);
  // Sends what out_ holds; true when it is empty.
  bool flush();

  SessionManager& manager_;
  std::string session_id_;
  ChannelStream stream_;
  std::string kind_;
  std::string out_;
  bool done_ = false;  // reset or terminated: nothing more happens
};

// Scoped file-system identity of an account on the calling thread
// (setfsuid/setfsgid and the thread's supplementary groups), so a file is
// opened with that user's rights although the agent runs as root. Nothing
// happens when `account` is unset or the agent is not root.
class FileIdentity {
 public:
  explicit FileIdentity(const std::optional<Account>& account);
  ~FileIdentity();
  FileIdentity(const FileIdentity&) = delete;
  FileIdentity& operator=(const FileIdentity&) = delete;

 private:
  bool switched_ = false;
  std::vector<gid_t> saved_groups_;
};

// The stream factories, per kind (shell_channel.cpp, file_channels.cpp,
// forward_channel.cpp). nullptr refuses: they reset the stream themselves
// with a reason first.
[[nodiscard]] std::unique_ptr<ChannelHandler> make_shell(SessionManager& manager,
                                                         const v1::SessionStreamOpen& open,
                                                         ChannelStream stream);
[[nodiscard]] std::unique_ptr<ChannelHandler> make_file_pull(SessionManager& manager,
                                                             const v1::SessionStreamOpen& open,
                                                             ChannelStream stream);
[[nodiscard]] std::unique_ptr<ChannelHandler> make_file_push(SessionManager& manager,
                                                             const v1::SessionStreamOpen& open,
                                                             ChannelStream stream);
[[nodiscard]] std::unique_ptr<ChannelHandler> make_forward(SessionManager& manager,
                                                           const v1::SessionStreamOpen& open,
                                                           ChannelStream stream);

// Resolves `requested` (absolute) under one of `roots`, also through the
// symbolic links of its existing part. Errors: "bad_path",
// "path_not_allowed" naming the roots.
[[nodiscard]] Result<std::string> allowed_path(const std::string& requested,
                                               const std::vector<std::string>& roots);

}  // namespace helpline::agent::session
