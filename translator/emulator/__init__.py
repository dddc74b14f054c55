"""A local Azure AI Voice Live emulator: the real SDK connects to it over loopback.

Python API::

    async with Emulator(EmulatorOptions(scenario=load_scenario(path))) as emu:
        async with connect(endpoint=emu.url, credential=AzureKeyCredential("k"), model="gpt-4o") as conn:
            ...
        emu.records[0].of_type("input_audio_buffer.commit")
"""

from translator.emulator.faults import FaultPlan, UtteranceFault
from translator.emulator.options import EmulatorOptions
from translator.emulator.record import ConnectionRecord
from translator.emulator.scenario import Scenario, ScenarioError, load_scenario
from translator.emulator.server import Emulator

__all__ = [
    "ConnectionRecord",
    "Emulator",
    "EmulatorOptions",
    "FaultPlan",
    "Scenario",
    "ScenarioError",
    "UtteranceFault",
    "load_scenario",
]
