from cerebrum.agents.base import BaseAgent
from cerebrum.interface import AutoLLM
from cerebrum.llm.communication import LLMQuery


class Summarizer(BaseAgent):
    """Summarizes its task input in one sentence with one LLM call."""

    def __init__(self, agent_name, task_input, config_):
        super().__init__(agent_name, task_input, config_)
        self.task_input = task_input
        self.send_request = AutoLLM.from_dynamic().process
        self.rounds = 0

    def run(self):
        messages = [
            {"role": "system", "content": "".join(self.config["description"])},
            {
                "role": "user",
                "content": "Summarize this text in one short sentence.\n\n"
                f"Text: {self.task_input}\n\nSummary:",
            },
        ]
        response = self.send_request(
            agent_name=self.agent_name,
            query=LLMQuery(messages=messages, tools=None, action_type="chat"),
        )["response"]
        self.rounds += 1
        return {
            "agent_name": self.agent_name,
            "result": response["response_message"],
            "rounds": self.rounds,
        }
