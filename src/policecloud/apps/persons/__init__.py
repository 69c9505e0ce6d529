"""The person registry (人员登记): the operational store's person records behind ``/api/persons``, with ID numbers
validated by the data model's element type like every other entry point."""
