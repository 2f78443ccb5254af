"""The bridge's requests about questions: ask, follow the answer's stream, stop it, conversations."""
from __future__ import annotations

import threading

import redis
from PySide6.QtCore import Slot

from ...core.datadir import app_db
from ...core.errors import RepoWikiError
from ..pyside_fixes import emit


class QuestionRequests:
    """Mixed into ServiceBridge: each answer is followed in its own short-lived thread (``_followers``)."""

    @Slot(str, str, str, str)
    def ask(self, request_id: str, repo: str, question: str, conversation_id: str) -> None:
        """``repo`` is one name or several as ``a,b`` (the chat's list); the first is the chat's chosen one."""
        from ...core.qa.conversations import Conversations

        if self.service is None:
            emit(self.answerFailed, request_id, "The background services are not running.")
            return
        try:
            conv_id = self.service.open_conversation(repo, question, conversation_id or "new")
            retrieval_id, answer_id = self.service.ask(repo, question, self.manager.settings.retrieval_k, conv_id)
        except RepoWikiError as exc:
            emit(self.answerFailed, request_id, str(exc))
            return
        except redis.RedisError as exc:
            emit(self.answerFailed, request_id, f"The job service cannot be reached: {exc}")
            return
        emit(self.answerStarted, request_id, answer_id)
        chosen = repo.split(",")[0]   # the conversation list shown is the chosen repository's
        if not conversation_id:
            emit(self.conversationsChanged, chosen, Conversations(app_db(self.home)).list(chosen))
        thread = threading.Thread(target=self._follow, args=(answer_id, retrieval_id, chosen, conv_id),
                                  name=f"answer-{answer_id[:8]}", daemon=True)
        self._followers[answer_id] = thread
        thread.start()

    def _follow(self, answer_id: str, retrieval_id: str, repo: str, conv_id: str) -> None:
        """Runs in its own thread: signals are thread-safe and queued to the receivers."""
        from ...core.qa.conversations import Conversations

        service = self.service
        try:
            done = service.follow_answer(
                answer_id, retrieval_id, lambda text: emit(self.answerToken, answer_id, text),
                on_sources=lambda refs: emit(self.answerSources, answer_id, refs),
                on_reading=lambda done, total: emit(self.answerReading, answer_id, done, total))
            emit(self.answerDone, answer_id, {"answer": done.get("answer", ""),
                                             "references": done.get("references", []),
                                             "stopped": bool(done.get("stopped")), "conversation": conv_id})
            emit(self.conversationsChanged, repo, Conversations(app_db(self.home)).list(repo))
        except RepoWikiError as exc:
            emit(self.answerFailed, answer_id, str(exc))
        except (redis.RedisError, OSError) as exc:
            message = "Stopped: the services were shut down." if self._stopping.is_set() else str(exc)
            emit(self.answerFailed, answer_id, message)
        finally:
            self._followers.pop(answer_id, None)

    @Slot(str)
    def stopAnswer(self, answer_id: str) -> None:
        self._when_ready(lambda: self.service.cancel(answer_id))

    @Slot(str)
    def listConversations(self, repo: str) -> None:
        from ...core.qa.conversations import Conversations

        self._guard(lambda: emit(self.conversationsChanged, repo, Conversations(app_db(self.home)).list(repo)))

    @Slot(str)
    def loadConversation(self, conversation_id: str) -> None:
        from ...core.qa.conversations import Conversations

        from ...core.qa.stale import indexed_text, mark_stale

        def run():
            conversations = Conversations(app_db(self.home))
            repo = conversations.get(conversation_id)["repo"]   # a clear error for an unknown id
            # each reference whose cited code changed since the answer carries "stale" (so does its turn)
            turns = mark_stale(app_db(self.home), conversation_id, conversations.turns(conversation_id), repo,
                               indexed_text(self.home))
            emit(self.conversationLoaded, conversation_id, turns)
        self._guard(run)

