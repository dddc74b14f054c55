"""The Voice Live stage: one supervised session per direction (connect, backoff, the wire
mapping, sans-I/O turn taking, the utterance table and the resend buffer)."""
