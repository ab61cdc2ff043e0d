class TaskEcho:
    """A newer-style Cerebrum agent: constructed with its name, given the task in
    run(). No build.module in its config: found by its folder's name."""

    def __init__(self, agent_name):
        self.agent_name = agent_name

    def run(self, task_input):
        return {"agent_name": self.agent_name, "task": task_input, "words": len(task_input.split())}
