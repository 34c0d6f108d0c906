"""The resource types resapi ships: Generic Application and Generic Script."""
