"""The Panel dashboard's state and views; the served script is ``dashboards/app.py``.

State lives on ``param.Parameterized`` classes (testable without a browser), the UI in
``Viewer.__panel__``; every service call goes through a ``DashboardApi`` as one user.
"""
