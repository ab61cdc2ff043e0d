import json

from cerebrum.agents.base import BaseAgent
from cerebrum.storage.communication import StorageQuery


class NoteTaker(BaseAgent):
    """Writes the note in its task to a file, lists the folder and reads the file
    back, through the AIOS kernel's storage queries.

    Task: "<folder>: <note text>"."""

    def __init__(self, agent_name, task_input, config_):
        super().__init__(agent_name, task_input, config_)
        self.task_input = task_input

    def storage(self, operation, **params):
        query = StorageQuery(messages=[], operation_type=operation)
        data = {**query.model_dump(), "params": params}
        reply = self.client()._post(
            "/query",
            {"query_type": "storage", "agent_name": self.agent_name, "query_data": data},
        )
        return reply["response"]

    def client(self):
        from cerebrum import config

        return config.global_client

    def run(self):
        folder, _, note = self.task_input.partition(":")
        path = f"{folder.strip()}/{self.config['file_name']}"
        steps = [
            self.storage("create_dir", dir_path=folder.strip()),
            self.storage("write", file_path=path, content=note.strip()),
            self.storage("list_dir", dir_path=folder.strip()),
            self.storage("read", file_path=path),
        ]
        return {
            "agent_name": self.agent_name,
            "finished": all(s["finished"] for s in steps),
            "listing": json.loads(steps[2]["response_message"] or "[]"),
            "content": steps[3]["response_message"],
            "errors": [s.get("error") for s in steps if s.get("error")],
        }
