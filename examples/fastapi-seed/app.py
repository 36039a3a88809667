"""The article's FastAPI app, with BackgroundTasks replaced by Tasklane.

The route only submits: the task is durable on the server before the answer goes out, and
worker.py runs it, in another process, with a concurrency limit that holds however many requests
arrive. Run:

    TASKLANE_TOKEN=<a submitter token> uvicorn app:app --port 8080
"""

import os
from typing import Optional

from fastapi import FastAPI
from pydantic import BaseModel

from tasklane import Client

app = FastAPI()
tasks = Client(os.environ.get("TASKLANE_URL", "http://127.0.0.1:8000"))


class TaskRequest(BaseModel):
    data: str
    priority: Optional[int] = 1


@app.post("/submit-task")
def submit_task(request: TaskRequest):
    task = tasks.submit("process_task", request.dict(), priority=request.priority)
    return {"status": "Task queued", "task_id": task.id}


@app.post("/debug-task")
def debug_task():
    task = tasks.submit("debug_task")
    return {"status": "Debug task queued", "task_id": task.id}


@app.get("/tasks/{task_id}")
def task_status(task_id: str):
    task = tasks.get(task_id)
    return {"state": task.state, "attempt": task.attempt, "result": task.result, "errors": task.errors}
